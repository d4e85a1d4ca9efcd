/**
 * The least memory any legal network of a search space needs, so that a search whose every candidate would
 * be skipped as out-of-memory is refused before it starts (with the figure) instead of recording hundreds
 * of untrained rows.
 *
 * Memory grows with n, with deep supervision and the residual projections, and with every convolution a
 * block holds, so the lightest network has the smallest n, no supervision, no residual, and a block whose
 * edges are as few and as cheap as legality allows. The depth p is not monotone (pooling shrinks the maps
 * but adds levels), so every p is tried. Per op entry it tries the three memory classes (none, skip,
 * the cheapest convolution) the entry admits, for every node count: at most 3⁶ blocks × 3 node counts × 4
 * depths estimates, each a walk over the layers.
 */
import { blockFromOps, checkBlock, opsForNodes } from '../core/blockMatrix';
import type { IntegerBound, SearchBounds } from '../core/searchBounds';
import type { ArchitectureSpec, NodeCount } from '../core/spec';

export interface SmallestNetwork {
  spec: ArchitectureSpec;
  bytes: number;
}

function values(b: IntegerBound): number[] {
  if ('fixed' in b) return [Math.floor(b.fixed)];
  const out: number[] = [];
  for (let v = Math.ceil(b.lo); v < b.hi; v++) out.push(v);
  return out;
}

/** The values of one op entry worth trying: none, skip, and the cheapest convolution it admits. */
function opChoices(b: IntegerBound): number[] {
  const admitted = values(b);
  const conv = admitted.filter((op) => op >= 1 && op <= 5);
  return [...admitted.filter((op) => op === 0 || op === 6), ...(conv.length > 0 ? [Math.min(...conv)] : [])];
}

function* combinations(choices: readonly number[][]): Generator<number[]> {
  if (choices.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = choices;
  for (const tail of combinations(rest)) for (const v of first) yield [v, ...tail];
}

/**
 * The legal network of `bounds` with the least estimated memory, or undefined when no network of the
 * space can be estimated (`estimate` answers undefined for networks the size cannot build).
 */
export function smallestNetwork(
  bounds: SearchBounds,
  estimate: (spec: ArchitectureSpec) => number | undefined,
): SmallestNetwork | undefined {
  const n = Math.min(...values(bounds.n));
  const sup = Math.min(...values(bounds.sup)) === 1;
  const res = Math.min(...values(bounds.res)) === 1;
  let best: SmallestNetwork | undefined;
  for (const nodes of values(bounds.nodes)) {
    if (nodes < 2 || nodes > 4) continue;
    const entries = bounds.ops.slice(0, opsForNodes(nodes)).map(opChoices);
    if (entries.length < opsForNodes(nodes)) continue;
    for (const ops of combinations(entries)) {
      const block = blockFromOps(nodes as NodeCount, ops);
      if (!checkBlock(block).legal) continue;
      for (const p of values(bounds.p)) {
        const spec: ArchitectureSpec = { n, p, sup, res, block, extras: {} };
        const bytes = estimate(spec);
        if (bytes !== undefined && (!best || bytes < best.bytes)) best = { spec, bytes };
      }
    }
  }
  return best;
}
