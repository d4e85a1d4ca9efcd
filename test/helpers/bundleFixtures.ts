/** A small, valid bundle (as zip entries) to mutate in the hostile-bundle tests and the fuzzer. */
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION } from '../../main/search/bundleFormat';
import type { ZipEntry } from './zipBuilder';

const now = '2026-01-01T00:00:00.000Z';

/** A small, valid bundle manifest: one finished candidate with a model folder, one bundled case. */
export function manifest(overrides: Record<string, unknown> = {}) {
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: now,
    experiment: {
      id: 3,
      name: 'hostile test',
      status: 'finished',
      statusReason: null,
      createdAt: now,
      config: { datasetPath: '/data/x', variant: 'segnas4' },
      datasetFingerprint: 'sha256:00',
      seeds: { search: 1 },
      splits: [{ train: ['a'], validation: ['b'], test: ['c1'] }],
      backend: 'wasm',
      device: 'cpu',
      softwareVersion: '0.1.0',
    },
    candidates: [
      {
        seq: 1,
        x: [8.5, 2.5],
        key: '8,2',
        spec: { n: 8, p: 2, sup: false, res: false, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
        status: 'trained',
        reason: null,
        f: 0.5,
        valDice: 0.6,
        perLabelDice: null,
        paramCount: 4,
        estMemoryBytes: null,
        device: 'cpu',
        startedAt: now,
        endedAt: now,
        curve: [{ epoch: 1, loss: 1, valDice: 0.6, seconds: 1 }],
      },
    ],
    tests: [],
    artifacts: [{ seq: 1, kind: 'model', path: 'models/1', meta: null }],
    dataset: { cases: ['c1'] },
    ...overrides,
  };
}

export function modelJson(paths: string[] = ['weights.bin']) {
  return JSON.stringify({
    format: 'segnas-model',
    formatVersion: 1,
    weightsManifest: [{ paths, weights: [{ name: '0:w', shape: [2, 2], dtype: 'float32' }] }],
  });
}

export function bundleEntries(extra: ZipEntry[] = [], model = modelJson()): ZipEntry[] {
  return [
    { name: 'bundle.json', data: Buffer.from(JSON.stringify(manifest())) },
    { name: 'models/1/model.json', data: Buffer.from(model) },
    { name: 'models/1/weights.bin', data: new Uint8Array(16), method: 0 },
    { name: 'dataset/imagesTr/c1.nii.gz', data: new Uint8Array(100), method: 0 },
    ...extra,
  ];
}
