/**
 * The contract's response schemas (main/api.ts `API[method].response`) against the real app service:
 * the answers to a representative set of methods, on a phantom demo dataset and an imported experiment,
 * parse with their entry's schema as the handler returns them and as a UI receives them (after the
 * wire format), and the schema keeps every field the handler sent. The response types derive from
 * these schemas and answers are not parsed at run time, so without this a schema could drift from what
 * the app service answers and no compiler would notice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  API,
  API_METHODS,
  type ApiMethod,
  type ApiResponse,
  DEFAULT_SEARCH_CONFIG,
  DEMO_SPACE,
  decodeCandidates,
  decodeWire,
  encodeWire,
  type SearchConfig,
} from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';

/**
 * Methods this test does not call, and why: each trains, runs for minutes, or needs a cluster. A
 * method added to the table must be called below or named here.
 */
const NOT_CALLED: Partial<Record<ApiMethod, string>> = {
  proposeSettings: 'may run a speed probe of the training engine',
  // test/renderer/engineSettings.test.ts parses its answer with the schema.
  checkEngines: 'probes every Python interpreter for torch (seconds each)',
  startSearch: 'trains candidates',
  pauseSearch: 'needs a running search',
  resumeSearch: 'needs a paused search',
  stopSearch: 'needs a running search',
  evaluateTest: 'runs the trained networks on the test cases',
  retrainCandidate: 'trains a candidate',
  startApply: 'runs a trained network',
  getApply: 'needs an apply run',
  cancelApply: 'needs an apply run',
  testCluster: 'needs a Slurm cluster',
};

let workspace: string;
let engine: Engine;
const called = new Set<ApiMethod>();

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'segnas-responses-'));
  engine = await createEngine({ workspace, host: 'web' });
});

afterAll(async () => {
  await engine?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

/**
 * What is wrong with `value` as an answer of `schema`: the failed checks, or "dropped" when parsing
 * loses a field (an object schema strips keys it does not name, so a field the handler added would
 * otherwise pass unseen). Empty when it fits.
 */
function misfits(schema: z.ZodType, value: unknown): string[] {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    return parsed.error.issues.map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`);
  try {
    expect(parsed.data).toEqual(value);
    return [];
  } catch (error) {
    return [`dropped or changed by the schema: ${(error as Error).message.split('\n')[0]}`];
  }
}

/** Calls `method` on the app service and checks its answer against the table, before and after the wire. */
async function answer<M extends ApiMethod>(method: M, payload?: unknown): Promise<ApiResponse<M>> {
  called.add(method);
  const value = await engine.handle(method, payload);
  const schema = API[method].response;
  expect(misfits(schema, value), `${method} as the app service answers it`).toEqual([]);
  const received = decodeWire(encodeWire({ kind: 'response', id: 1, ok: true, value })) as { value: unknown };
  expect(misfits(schema, received.value), `${method} as a UI receives it`).toEqual([]);
  return value as ApiResponse<M>;
}

describe('the answers of the app service fit their response schemas', () => {
  let datasetPath: string;
  let experimentId: number;

  it('describes the service, its presets and its training engines', async () => {
    expect((await answer('getInfo')).host).toBe('web');
    expect((await answer('listPresets')).length).toBeGreaterThan(0);
    expect(await answer('getEngineSettings')).toMatchObject({ python: null, canSetPython: true });
    expect((await answer('setPython', { python: null })).python).toBeNull();
  });

  it('describes a demo dataset, its volumes and a search configured on it', async () => {
    const demo = await answer('createDemoDataset', { cases: 4, size: 16 });
    expect(demo.usable).toBe(true);
    datasetPath = demo.root;
    const report = await answer('openDataset', { path: datasetPath });
    const caseId = report.usableCaseIds[0];
    for (const kind of ['case-image', 'case-label'] as const)
      expect(
        (await answer('readVolume', { ref: { kind, datasetPath, caseId } })).bytes.length,
      ).toBeGreaterThan(0);
    const config: SearchConfig = {
      ...DEFAULT_SEARCH_CONFIG,
      datasetPath,
      variant: 'custom',
      space: DEMO_SPACE,
      training: { ...DEFAULT_SEARCH_CONFIG.training, size: 16 },
    };
    const validation = await answer('validateConfig', { config });
    expect(validation.issues).toEqual([]);
    expect(validation.memory?.smallest).toBeDefined();
    // On a cluster nothing limits a candidate's memory: the budget crosses the wire as null, not Infinity
    // (which JSON would turn into a null the UI took for a number).
    const onCluster = await answer('validateConfig', {
      config: { ...config, cluster: { executor: 'slurm', gres: 'gpu:1', time: '2:00:00', maxJobs: 2 } },
    });
    expect(onCluster.memory?.bytes).toBeNull();
  });

  it('describes an imported experiment, its candidates, models and exports', async () => {
    const fixture = join(import.meta.dirname, '..', 'fixtures', 'tiny-search.segnas');
    ({ experimentId } = await answer('importBundle', { path: fixture }));
    expect((await answer('listExperiments')).map((e) => e.id)).toEqual([experimentId]);
    const detail = await answer('getExperiment', { experimentId });
    const seq = detail.keptModels[0];
    expect(decodeCandidates(detail.candidates).length).toBeGreaterThan(0);
    expect((await answer('getCandidate', { experimentId, seq })).curve.length).toBeGreaterThan(0);
    expect((await answer('getCandidatePage', { experimentId, afterSeq: seq })).experimentId).toBe(
      experimentId,
    );
    expect(await answer('getCandidateJob', { experimentId, seq })).toBeNull();
    expect((await answer('getInsights', { experimentId })).experimentId).toBe(experimentId);
    expect((await answer('getMethods', { experimentId })).paragraph).not.toBe('');
    const caseId = detail.validationCases[0];
    await answer('readVolume', { ref: { kind: 'prediction', experimentId, seq, caseId } });
    await answer('readModelFile', { experimentId, seq, file: 'preprocessing.json' });
    expect((await answer('exportExperiment', { experimentId })).files.length).toBeGreaterThan(0);
    expect((await answer('bundleExperiment', { experimentId })).candidates).toBe(
      decodeCandidates(detail.candidates).length,
    );
  });

  it('calls every method of the table that runs without training or a cluster', () => {
    const untested = API_METHODS.filter((m) => !called.has(m) && !(m in NOT_CALLED));
    expect(untested).toEqual([]);
  });
});

describe('the check itself', () => {
  it('names a field the schema lacks, a field it drops and a field of the wrong type', async () => {
    const info = await engine.handle('getInfo', undefined);
    const schema = API.getInfo.response;
    expect(misfits(schema, info)).toEqual([]);
    expect(misfits(schema, { ...(info as object), host: 'desktop' })[0]).toMatch(/^host: /);
    expect(misfits(schema, { ...(info as object), extra: 1 })[0]).toMatch(/dropped/);
    expect(misfits(schema, { ...(info as object), version: undefined })[0]).toMatch(/^version: /);
  });
});
