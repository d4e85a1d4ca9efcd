import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

async function probe(...args: string[]) {
  const { stdout } = await run(
    process.execPath,
    [resolve(REPO, 'bin', 'run-ts.mjs'), resolve(REPO, 'test', 'appServiceProbe.ts'), ...args],
    { cwd: REPO, env: { ...process.env, SEGNAS_BACKEND: 'cpu' }, timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    info: { backend: { name: string; device: string } };
    check?: { devices: { engine: string; kind: string; name?: string; usable: boolean; version?: string }[] };
    loaded: string[];
    tfjsEngine: boolean;
  };
}

describe('the app service boundary (docs/architecture.md)', () => {
  it('reports the backend a trainer reported, without loading TensorFlow.js itself', async () => {
    const { info, loaded, tfjsEngine } = await probe();
    expect(info.backend).toEqual({ name: 'cpu', device: 'CPU (pure JavaScript)' });
    expect(loaded).toEqual([]);
    expect(tfjsEngine).toBe(false);
  }, 150_000);

  it('checks the TensorFlow.js backends in a trainer, without loading TensorFlow.js itself', async () => {
    const { check, loaded, tfjsEngine } = await probe('--check');
    const tfjs = check?.devices.filter((d) => d.engine === 'tfjs') ?? [];
    // SEGNAS_BACKEND=cpu puts the pure-JavaScript backend first: the trainer tried it, and it won.
    expect(tfjs).toEqual([
      expect.objectContaining({ kind: 'cpu', name: 'CPU (pure JavaScript)', usable: true }),
    ]);
    expect(tfjs[0]?.version).toMatch(/^tfjs \d/);
    expect(loaded).toEqual([]);
    expect(tfjsEngine).toBe(false);
  }, 150_000);

  it('would see TensorFlow.js if the process loaded it (the check can fail)', async () => {
    const { loaded, tfjsEngine } = await probe('--load-tfjs');
    expect(tfjsEngine || loaded.length > 0).toBe(true);
  }, 150_000);
});
