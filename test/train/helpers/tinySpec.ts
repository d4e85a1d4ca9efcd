import type { ArchitectureSpec } from '../../../main/core/spec';

/** A small SegNAS11-style candidate with deep supervision and residuals, so every code path of a trainer runs. */
export const TINY_SPEC = {
  n: 4,
  p: 1,
  sup: true,
  res: true,
  block: { nodes: 3 as const, ops: [2, 6, 1] as (2 | 6 | 1)[] },
  extras: {},
};

/** A plain candidate (no deep supervision, no residuals) of two poolings. */
export const PLAIN_SPEC: ArchitectureSpec = {
  n: 8,
  p: 2,
  sup: false,
  res: false,
  block: { nodes: 3, ops: [2, 0, 2] },
  extras: {},
};
