/**
 * docs/engines.md's Node example, run as a user would run it: the very code block of "Use a found
 * network elsewhere", on a trained model folder and an anisotropic, non-cubic NIfTI image, against
 * `segnas predict` on the same image.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as predictCommand } from '../../main/cli/commands/predict';
import { initBackend } from '../../main/compute/backend';
import { readNifti } from '../../main/data/niftiRead';
import { writeNifti } from '../../main/data/niftiWrite';
import { generatePhantomCase } from '../../main/data/phantom';
import { seededRng } from '../../main/data/random';
import { makeVolume } from '../../main/data/volume';
import { saveModel } from '../../main/train/modelIO';
import { PHANTOM_MAPPING, phantomCases, trainedPhantomNetwork } from '../train/helpers/phantomCases';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const S = 16;
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'segnas-onnx-example-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ```js block of the section "Use a found network elsewhere" in docs/engines.md. */
async function nodeExample(): Promise<string> {
  const doc = await readFile(join(ROOT, 'docs', 'engines.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Use a found network elsewhere'));
  const code = /```js\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)))?.[1];
  if (!code) throw new Error('docs/engines.md: no ```js block in "Use a found network elsewhere"');
  return code;
}

describe("docs/engines.md's Node example", () => {
  it('segments a NIfTI image with model.onnx as segnas predict does', async () => {
    const cases = phantomCases(3, S, 7);
    const result = await trainedPhantomNetwork({ size: S, p: 2, epochs: 3, cases });
    const net = result.net;
    const modelDir = join(dir, 'model');
    try {
      await saveModel(modelDir, net, { preprocessing: { size: S }, labels: PHANTOM_MAPPING });
    } finally {
      net.dispose();
    }

    // Anisotropic and non-cubic, so that the example's isotropic resampling and padding matter.
    const c = generatePhantomCase(20, seededRng(31));
    const dims: [number, number, number] = [20, 20, 12];
    const imagePath = join(dir, 'image.nii.gz');
    await writeNifti(
      imagePath,
      makeVolume({
        dims,
        data: c.image.subarray(0, 20 * 20 * 12),
        datatype: 'float32',
        spacing: [1, 1, 1.6],
      }),
    );
    const expectedPath = join(dir, 'predicted.nii.gz');
    expect(await predictCommand(['--model', modelDir, '--image', imagePath, '--out', expectedPath])).toBe(0);

    // The user's folder: the example beside a node_modules that has onnxruntime-node and nifti-reader-js.
    const user = join(dir, 'user');
    await rm(user, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(user));
    await symlink(join(ROOT, 'node_modules'), join(user, 'node_modules'), 'dir');
    await writeFile(join(user, 'segment.mjs'), await nodeExample());
    const outPath = join(user, 'labels.nii');
    await promisify(execFile)(process.execPath, [join(user, 'segment.mjs'), modelDir, imagePath, outPath], {
      cwd: user,
    });

    const [ours, expected] = await Promise.all([readNifti(outPath), readNifti(expectedPath)]);
    expect(ours.dims).toEqual(dims);
    expect(ours.spacing).toEqual(expected.spacing);
    let same = 0;
    const found = new Set<number>();
    for (let i = 0; i < ours.data.length; i++) {
      if (ours.data[i] === expected.data[i]) same++;
      found.add(ours.data[i]);
    }
    // The app maps classes back by a trilinear vote, the example by the nearest voxel: boundaries differ.
    expect(same / ours.data.length).toBeGreaterThan(0.95);
    expect(found.size).toBeGreaterThan(1);
    for (const v of found) expect(PHANTOM_MAPPING.values).toContain(v);
  });
});
