/** Shared fixtures for the store tests: a throwaway workspace and realistic experiment inputs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { ArchitectureSpec } from '../../main/core/spec';
import { type CandidateStart, type ExperimentStore, type NewExperiment, openStore } from '../../main/store';
import { experimentConfig, segnas4Space } from '../helpers/searchConfigs';

export function tempWorkspace(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'segnas-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh workspace and its open store for each test (handed to `use`), closed and removed after it. */
export function withStorePerTest(
  use: (opened: { ws: ReturnType<typeof tempWorkspace>; store: ExperimentStore }) => void,
) {
  let opened: { ws: ReturnType<typeof tempWorkspace>; store: ExperimentStore } | undefined;
  beforeEach(() => {
    const ws = tempWorkspace();
    opened = { ws, store: openStore(ws.dir) };
    use(opened);
  });
  afterEach(() => {
    opened?.store.close();
    opened?.ws.remove();
  });
}

export function newExperiment(overrides: Partial<NewExperiment> = {}): NewExperiment {
  return {
    name: 'hippocampus segnas4',
    config: experimentConfig({
      space: {
        ...segnas4Space(),
        ops: [{ fixed: 2 }, { fixed: 0 }, { fixed: 2 }, { fixed: 0 }, { fixed: 0 }, { fixed: 0 }],
      },
    }),
    datasetFingerprint: 'sha256:0123abcd',
    seeds: { search: 1, split: 7 },
    splits: [{ train: ['s1', 's2', 's3'], validation: ['s4'], test: ['s5', 's6'] }],
    backend: 'wasm',
    device: 'CPU (WebAssembly)',
    softwareVersion: '0.1.0',
    ...overrides,
  };
}

export function spec(n = 16, p = 3): ArchitectureSpec {
  return { n, p, sup: false, res: true, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} };
}

export function candidateStart(seq: number, n = 8 + seq): CandidateStart {
  const x = [n + 0.5, 3.2, 0.7, 1.1];
  return { seq, x, key: x.map(Math.floor).join(','), spec: spec(n), device: 'cpu:0', paramCount: 1000 * n };
}
