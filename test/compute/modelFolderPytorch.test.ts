/**
 * The PyTorch engine's model loader refuses weight paths that leave the model folder, as the
 * TensorFlow.js side does (test/search/bundleHostile.test.ts): a model is data, and its manifest may
 * not make a load read /dev/zero or /etc/passwd.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../main/compute/python';
import { pytorchEngineDir } from '../../main/compute/runtimeFiles';
import { torchPython } from './helpers/torchPython';

const dir = mkdtempSync(join(tmpdir(), 'segnas-torch-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: [string, string[], RegExp][] = [
  ['escape', ['../../../../dev/zero'], /leaves the model folder/],
  ['absolute', ['/dev/zero'], /leaves the model folder/],
  ['passwd', ['/etc/passwd'], /leaves the model folder/],
  ['link', ['zero.bin'], /zero\.bin: is not a regular file/],
  ['missing', ['w2.bin'], /w2\.bin: missing/],
  ['size', ['weights.bin'], /hold 20 bytes, the listed shapes need 16/],
];

describe('PyTorch model folders are closed', () => {
  it('refuses every weight path that is not a regular file inside the folder of the listed size', async () => {
    const folders = CASES.map(([name, paths]) => {
      const folder = join(dir, name);
      mkdirSync(folder);
      writeFileSync(join(folder, 'weights.bin'), new Uint8Array(20));
      symlinkSync('/dev/zero', join(folder, 'zero.bin'));
      writeFileSync(
        join(folder, 'model.json'),
        JSON.stringify({
          format: 'segnas-model',
          formatVersion: 1,
          weightsManifest: [{ paths, weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }] }],
        }),
      );
      return folder;
    });
    const script = `
import json, sys
from segnas_torch import modelio
for d in json.loads(sys.argv[1]):
    try:
        modelio.load_model(d, None)
        print("LOADED")
    except ValueError as e:
        print(str(e).replace("\\n", " "))
`;
    const python = await torchPython();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        python,
        ['-c', script, JSON.stringify(folders)],
        { cwd: pytorchEngineDir(), env: pythonEnv(), timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(CASES.length);
    for (const [i, [, , pattern]] of CASES.entries()) expect(lines[i]).toMatch(pattern);
  }, 90_000);
});
