/** The lightest network of a search space, which decides whether a search can train anything at all. */
import { describe, expect, it } from 'vitest';
import { checkBlock } from '../../main/core/blockMatrix';
import type { SearchBounds } from '../../main/core/searchBounds';
import type { ArchitectureSpec } from '../../main/core/spec';
import { getPreset } from '../../main/nas/presets';
import { createSearchSpace } from '../../main/nas/searchSpace';
import { smallestNetwork } from '../../main/nas/smallestNetwork';
import { estimateTrainingBytes } from '../../main/train/memoryEstimate';

const estimate = (size: number) => (spec: ArchitectureSpec) =>
  size % 2 ** spec.p === 0 ? estimateTrainingBytes(spec, { size, batch: 1, classes: 4 }) : undefined;

describe('smallestNetwork', () => {
  it('finds a legal network no heavier than any of 300 random networks of SegNAS11', () => {
    const bounds = getPreset('segnas11').space as SearchBounds;
    const found = smallestNetwork(bounds, estimate(32));
    expect(found).toBeDefined();
    const least = found as { spec: ArchitectureSpec; bytes: number };
    expect(checkBlock(least.spec.block).legal).toBe(true);
    expect(least.spec.n).toBe(8);
    const space = createSearchSpace(bounds, { inputSize: 32 });
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 300; i++) {
      const spec = space.decode(space.lower.map((lo, d) => lo + random() * (space.upper[d] - lo)));
      if (!checkBlock(spec.block).legal) continue;
      expect(estimate(32)(spec) as number).toBeGreaterThanOrEqual(least.bytes);
    }
  });

  it("keeps a fixed block's ops and answers undefined when no depth builds at the size", () => {
    const bounds = getPreset('segnas4').space as SearchBounds;
    const found = smallestNetwork(bounds, estimate(32));
    expect(found?.spec.block).toEqual({ nodes: 3, ops: [2, 0, 2] });
    expect(smallestNetwork({ ...bounds, p: { fixed: 5 } }, estimate(16))).toBeUndefined();
  });
});
