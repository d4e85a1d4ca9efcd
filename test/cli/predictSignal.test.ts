/** SIGTERM during `segnas predict` stops it cleanly: its temporary folder (segnas-apply-*) is removed. */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend';
import { generatePhantomDataset } from '../../main/data/phantom';
import { saveModel } from '../../main/train/modelIO';
import { buildNetwork } from '../../main/train/network';

const ROOT = resolve(import.meta.dirname, '..', '..');
let dir: string;
let model: string;
let data: string;

beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'segnas-predict-signal-'));
  data = join(dir, 'data');
  await generatePhantomDataset(data, { cases: 2, size: 8, seed: 1 });
  // An untrained network is a valid model: what it predicts does not matter here.
  const spec = {
    n: 2,
    p: 1,
    sup: false,
    res: false,
    block: { nodes: 2 as const, ops: [2] as 2[] },
    extras: {},
  };
  const net = buildNetwork(spec, { classes: 5, size: 8, inChannels: 1, dropout: 0, seed: 1 });
  model = join(dir, 'model');
  await saveModel(model, net, {
    preprocessing: { size: 8 },
    labels: { values: [0, 1, 2, 3, 4], names: ['b', '1', '2', '3', '4'] },
  });
  net.dispose();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segnas predict and signals', () => {
  it('removes its temporary folder when stopped with SIGTERM', async () => {
    const privateTmp = join(dir, 'tmp');
    mkdirSync(privateTmp);
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'segnas.mjs'),
        'predict',
        '--model',
        model,
        '--input',
        join(data, 'imagesTr'),
        '--out',
        join(dir, 'out'),
      ],
      { cwd: ROOT, stdio: 'ignore', env: { ...process.env, TMPDIR: privateTmp } },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let signalled = false;
    while (!signalled && child.exitCode === null) {
      if (readdirSync(privateTmp).some((n) => n.startsWith('segnas-apply-'))) {
        child.kill('SIGTERM');
        signalled = true;
      } else await new Promise((r) => setTimeout(r, 10));
    }
    const code = await exited;
    expect(signalled, 'the run ended before it could be stopped').toBe(true);
    expect(code).not.toBe(0);
    expect(readdirSync(privateTmp).filter((n) => n.startsWith('segnas-apply-'))).toEqual([]);
  }, 60_000);
});
