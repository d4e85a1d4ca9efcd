import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as predictCommand } from '../../main/cli/commands/predict';
import { initBackend } from '../../main/compute/backend';
import { affineDistance } from '../../main/data/affine';
import { firstVolumeOf } from '../../main/data/dicom';
import type { LabelMapping } from '../../main/data/labels';
import { parseNifti, readNifti } from '../../main/data/niftiRead';
import { preprocessCase } from '../../main/data/preprocess';
import { createEngine } from '../../main/engineServices';
import { AUGMENT_DEFAULTS } from '../../main/train/augment';
import { saveModel } from '../../main/train/modelIO';
import { buildNetwork } from '../../main/train/network';
import { trainCandidate } from '../../main/train/trainer';
import { dicomQaDir, hippocampusDir } from '../data/helpers';

const S = 16;
const MAPPING: LabelMapping = { values: [0, 1, 2], names: ['background', 'Anterior', 'Posterior'] };
let dir: string;
let modelDir: string;
let images: string[];

// A small network trained for one epoch on four real hippocampus cases: enough to exercise the path.
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'segnas-apply-test-'));
  const root = hippocampusDir();
  images = (await readdir(join(root, 'imagesTr'))).filter((n) => n.endsWith('.nii.gz')).sort();
  const cases = [];
  for (const name of images.slice(0, 4)) {
    const image = await readNifti(join(root, 'imagesTr', name));
    const label = await readNifti(join(root, 'labelsTr', name));
    const pre = preprocessCase(image, label, { size: S, mapping: MAPPING });
    cases.push({ image: pre.image, label: pre.label as Uint8Array });
  }
  const spec = {
    n: 4,
    p: 1,
    sup: false,
    res: false,
    block: { nodes: 2 as const, ops: [2] as 2[] },
    extras: {},
  };
  const result = await trainCandidate({
    makeNet: () => buildNetwork(spec, { classes: 3, size: S, inChannels: 1, dropout: 0, seed: 1 }),
    train: cases,
    val: cases.slice(0, 1),
    settings: { epochs: 1, batchSize: 2, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 1 },
    keepNetwork: true,
  });
  if (!result.net) throw new Error('no network kept');
  modelDir = join(dir, 'model');
  await saveModel(modelDir, result.net, { preprocessing: { size: S }, labels: MAPPING });
  result.net.dispose();
}, 120_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs a CLI command with console output captured (stderr is not a TTY under vitest). */
async function quietly(fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await fn();
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('segnas predict on a batch', () => {
  it('segments a folder of 60 real images in one call, each on its own grid with the label values', async () => {
    const input = join(dir, 'cohort');
    await mkdir(input);
    const chosen = images.slice(100, 160);
    for (const name of chosen) await symlink(join(hippocampusDir(), 'imagesTr', name), join(input, name));
    const out = join(dir, 'out');
    const { code, stdout, stderr } = await quietly(() =>
      predictCommand(['--model', modelDir, '--input', input, '--out', out]),
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Anterior \(mL\)/);
    expect(stdout).toMatch(/60 segmentation\(s\)/);
    expect(stderr).toMatch(/60\/60/);
    const written = (await readdir(out)).filter((n) => n.endsWith('.nii.gz')).sort();
    expect(written).toEqual(chosen);
    for (const name of chosen.filter((_, i) => i % 6 === 0)) {
      const image = await readNifti(join(input, name));
      const seg = await readNifti(join(out, name));
      expect(seg.dims).toEqual(image.dims);
      expect(affineDistance(seg.affine, image.affine)).toBeLessThan(1e-5);
      for (const v of new Set(seg.data)) expect(MAPPING.values).toContain(v);
    }
    const summary = (await readFile(join(out, 'summary.tsv'), 'utf8')).trim().split('\n');
    expect(summary).toHaveLength(61);
    expect(summary[0].split('\t')).toContain('Posterior_ml');
  }, 120_000);

  it('segments a DICOM series into a NIfTI whose geometry is dcm2niix reference', async () => {
    const series = join(dicomQaDir(), 'In', 'Orientation', 'cor', 'corint36');
    const out = join(dir, 'dicom-out');
    // 4-D without --first-volume: refused, naming the series
    const refused = await quietly(() =>
      predictCommand(['--model', modelDir, '--input', series, '--out', out]),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/series 15 'cor_int_36sl' is 4-D/);
    const run = await quietly(() =>
      predictCommand(['--model', modelDir, '--input', series, '--out', out, '--first-volume']),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/15 cor_int_36sl/);
    const ref = parseNifti(
      firstVolumeOf(new Uint8Array(await readFile(join(dicomQaDir(), 'Ref', 'cor_int_36sl_15.nii')))),
    );
    const seg = await readNifti(join(out, '15_cor_int_36sl.nii.gz'));
    expect(seg.dims).toEqual(ref.dims);
    expect(affineDistance(seg.affine, ref.affine)).toBeLessThan(1e-3);
    const image = await readNifti(join(out, '15_cor_int_36sl_image.nii.gz'));
    expect(Buffer.from(image.data.buffer).equals(Buffer.from(ref.data.buffer))).toBe(true);
  }, 60_000);

  it('runs from the engine contract: progress to the end, each result readable by the viewer', async () => {
    const engine = await createEngine({ workspace: join(dir, 'ws'), host: 'web' });
    try {
      const inputs = images.slice(20, 23).map((n) => join(hippocampusDir(), 'imagesTr', n));
      const { runId } = await engine.startApply({ model: { modelDir }, inputs });
      let status = await engine.getApply({ runId });
      for (let i = 0; i < 600 && !status.finished; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await engine.getApply({ runId });
      }
      expect(status.error).toBeUndefined();
      expect(status.progress).toMatchObject({ phase: 'done', done: 3, total: 3 });
      // segmented by a TensorFlow.js trainer process, not by this one
      expect(status.progress.trainer?.engine).toBe('tfjs');
      expect(status.progress.trainer?.pid).not.toBe(process.pid);
      expect(status.items.map((i) => i.id)).toEqual(
        images.slice(20, 23).map((n) => n.replace('.nii.gz', '')),
      );
      const seg = await engine.readVolume({ ref: { kind: 'apply-result', runId, id: status.items[0].id } });
      expect(seg.name).toBe(images[20]);
      const image = await engine.readVolume({ ref: { kind: 'apply-image', runId, id: status.items[0].id } });
      expect(Buffer.from(image.bytes).equals(await readFile(inputs[0]))).toBe(true);
      await expect(engine.startApply({ model: { experimentId: 1, seq: 0 }, inputs })).rejects.toThrow(
        /has no kept model/,
      );
    } finally {
      await engine.close();
    }
  }, 60_000);

  it('names the labels it writes, and warns when an image is unlike the training images model.json records', async () => {
    // The model as a search exports it from phantoms: intensities about 0..1, 0.4 mm voxels.
    const phantomModel = join(dir, 'phantom-model');
    await cp(modelDir, phantomModel, { recursive: true });
    const json = JSON.parse(await readFile(join(phantomModel, 'model.json'), 'utf8'));
    json.preprocessing.trainingData = {
      cases: 8,
      intensity: { medianMin: 0, medianMax: 1 },
      spacing: { min: [0.4, 0.4, 0.4], max: [0.4, 0.4, 0.4] },
      datatypes: ['float32'],
    };
    await writeFile(join(phantomModel, 'model.json'), JSON.stringify(json));
    const engine = await createEngine({ workspace: join(dir, 'ws-unlike'), host: 'web' });
    try {
      const inputs = [join(hippocampusDir(), 'imagesTr', images[20])];
      const { runId } = await engine.startApply({ model: { modelDir: phantomModel }, inputs });
      let status = await engine.getApply({ runId });
      for (let i = 0; i < 600 && !status.finished; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await engine.getApply({ runId });
      }
      expect(status.labels).toEqual([
        { value: 0, name: 'background' },
        { value: 1, name: 'Anterior' },
        { value: 2, name: 'Posterior' },
      ]);
      const warnings = status.items[0].warnings ?? [];
      expect(warnings.join('\n')).toMatch(
        /intensities .* the training images' typically 0\.\.1: another modality/,
      );
      expect(warnings.join('\n')).toMatch(/voxel spacing 1×1×1 mm, the training images' 0\.4×0\.4×0\.4/);
      // The same image against the model that recorded nothing: no warning.
      const plain = await engine.startApply({ model: { modelDir }, inputs });
      let alike = await engine.getApply(plain);
      for (let i = 0; i < 600 && !alike.finished; i++) {
        await new Promise((r) => setTimeout(r, 100));
        alike = await engine.getApply(plain);
      }
      expect(alike.items[0].warnings).toBeUndefined();
    } finally {
      await engine.close();
    }
  }, 60_000);
});
