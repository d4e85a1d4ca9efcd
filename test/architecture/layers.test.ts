import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf, layerViolations, repositoryEdges } from './importGraph';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('layering rule (docs/architecture.md)', () => {
  it('no file in main/, renderer/ or electron/ imports upward or around the contract', () => {
    const edges = repositoryEdges(ROOT);
    expect(edges.length).toBeGreaterThan(200);
    const violations = layerViolations(edges).map((v) => `${v.from} -> ${v.to}: ${v.why}`);
    expect(violations).toEqual([]);
  });

  it('flags an upward import, a renderer reaching past the contract, and main/ reaching the renderer', () => {
    const has = () => true;
    const edges = [
      ...importsOf('main/core/spec.ts', "import { x } from '../search/searchRunner';", has).map((to) => ({
        from: 'main/core/spec.ts',
        to,
      })),
      { from: 'main/train/network.ts', to: 'main/compute/backend.ts' },
      { from: 'renderer/components/App.tsx', to: 'main/store/index.ts' },
      { from: 'main/store/rows.ts', to: 'renderer/lib/format.ts' },
      // Allowed: downward, same layer, the contract, the vocabulary.
      { from: 'main/search/runSearch.ts', to: 'main/store/index.ts' },
      { from: 'main/nas/crs.ts', to: 'main/nas/objective.ts' },
      { from: 'renderer/components/App.tsx', to: 'main/api.ts' },
      { from: 'renderer/components/BlockDag.tsx', to: 'main/core/blockMatrix.ts' },
    ];
    expect(edges[0].to).toBe('main/search/searchRunner');
    const v = layerViolations(edges);
    expect(v.map((x) => x.from)).toEqual([
      'main/core/spec.ts',
      'main/train/network.ts',
      'renderer/components/App.tsx',
      'main/store/rows.ts',
    ]);
    expect(v[0].why).toBe('core imports search, a higher layer');
  });
});
