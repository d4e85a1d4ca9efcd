/** This machine's training speed: a probe of the real trainer, cached per machine, else the assumed figure. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeThroughput } from '../../main/compute/throughputProbe';
import {
  cachedProbe,
  machineKey,
  resolveThroughput,
  THROUGHPUT_FILE_NAME,
} from '../../main/search/throughput';
import { type ExperimentStore, openStore } from '../../main/store';

let workspace: string;
let store: ExperimentStore;

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'segnas-throughput-'));
  store = openStore(workspace);
});
afterEach(async () => {
  store.close();
  await rm(workspace, { recursive: true, force: true });
});

describe('resolveThroughput', () => {
  it('probes the real trainer once, then answers from the per-machine cache', {
    timeout: 120_000,
  }, async () => {
    let probes = 0;
    const probe = async () => {
      probes++;
      return probeThroughput();
    };
    const first = await resolveThroughput(store, workspace, 'wasm', probe);
    expect(first.source).toBe('probe');
    expect(first.gflops).toBeGreaterThan(0.05);
    expect(first.basis).toMatch(/^probe: [\d.]+ s per epoch of 2 images at 32³/);
    const again = await resolveThroughput(store, workspace, 'wasm', probe);
    expect(probes).toBe(1);
    expect(again.gflops).toBeCloseTo(first.gflops);
    const file = JSON.parse(await readFile(join(workspace, THROUGHPUT_FILE_NAME), 'utf8'));
    expect(Object.keys(file)).toEqual([`${machineKey()} · wasm`]);
  });

  it('ignores another machine’s probe, a stale one and a damaged file', async () => {
    const write = (content: unknown) =>
      writeFile(join(workspace, THROUGHPUT_FILE_NAME), JSON.stringify(content));
    const entry = { gflops: 5, basis: 'probe: x', measuredAt: new Date().toISOString() };
    await write({ 'another-host · wasm': entry });
    expect(cachedProbe(workspace, 'wasm')).toBeUndefined();
    await write({ [`${machineKey()} · wasm`]: { ...entry, measuredAt: '2020-01-01T00:00:00Z' } });
    expect(cachedProbe(workspace, 'wasm')).toBeUndefined();
    await writeFile(join(workspace, THROUGHPUT_FILE_NAME), '{not json');
    expect(cachedProbe(workspace, 'wasm')).toBeUndefined();
    await write({ [`${machineKey()} · wasm`]: entry });
    expect(cachedProbe(workspace, 'wasm')?.gflops).toBe(5);
  });

  it('falls back to the assumed figure, with the probe’s reason, when the probe fails', async () => {
    const t = await resolveThroughput(store, workspace, 'wasm', async () => {
      throw new Error('the speed probe could not train: no trainer');
    });
    expect(t.source).toBe('assumed');
    expect(t.basis).toMatch(/assumed 8 GFLOP\/s .*the speed probe could not train: no trainer/);
  });
});
