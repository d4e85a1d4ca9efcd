/**
 * Fixed architectures trained under the same protocol as the searched ones, for comparison (paper
 * Table 3): the 3D U-Net and the V-Net expressed in SegNAS building blocks. They are data in
 * assets/presets/baselines/*.json, each with the limits of the mapping spelled out. A baseline runs as
 * a search whose space has every hyperparameter fixed: one evaluation, recorded like any candidate.
 */
import unet3d from '../../assets/presets/baselines/unet3d.json';
import vnet from '../../assets/presets/baselines/vnet.json';
import { checkBlock } from '../core/blockMatrix';
import type { ArchitectureSpec } from '../core/spec';
import type { SearchBounds } from './searchSpace';

/**
 * The reference network of the benchmarks and of the training tests' expectations: SegNAS4 with n = 8,
 * p = 3, sup = 0, res = 0 (two cascaded Conv(3,1) per level), small enough for a CPU, deep enough to need
 * every part of the trainer.
 */
export const REFERENCE_NETWORK: ArchitectureSpec = {
  n: 8,
  p: 3,
  sup: false,
  res: false,
  block: { nodes: 3, ops: [2, 0, 2] },
  extras: {},
};

export interface Baseline {
  id: string;
  name: string;
  description: string;
  spec: ArchitectureSpec;
  /** Where the mapping onto SegNAS blocks differs from the original network. */
  limits: string[];
}

const FILES: Record<string, unknown> = { unet3d, vnet };

export const BASELINE_IDS = Object.keys(FILES);

function checkBaseline(id: string, raw: unknown): Baseline {
  const b = raw as Partial<Baseline>;
  const source = `assets/presets/baselines/${id}.json`;
  if (typeof b?.name !== 'string' || typeof b.description !== 'string' || !b.spec || !Array.isArray(b.limits))
    throw new Error(`${source}: a baseline needs "name", "description", "spec" and "limits"`);
  const legality = checkBlock(b.spec.block);
  if (!legality.legal)
    throw new Error(
      `${source}: spec.block is illegal: ${legality.problems.map((p) => p.message).join('; ')}`,
    );
  return { id, name: b.name, description: b.description, spec: b.spec, limits: b.limits };
}

export function isBaseline(id: string): boolean {
  return BASELINE_IDS.includes(id.toLowerCase());
}

export function getBaseline(id: string): Baseline {
  const key = id.toLowerCase();
  if (!(key in FILES)) throw new Error(`unknown baseline '${id}'; known: ${BASELINE_IDS.join(', ')}`);
  return structuredClone(checkBaseline(key, FILES[key]));
}

/** The search space that holds exactly this architecture (every bound fixed). */
export function fixedSpace(spec: ArchitectureSpec): SearchBounds {
  return {
    n: { fixed: spec.n },
    p: { fixed: spec.p },
    sup: { fixed: spec.sup ? 1 : 0 },
    res: { fixed: spec.res ? 1 : 0 },
    nodes: { fixed: spec.block.nodes },
    ops: spec.block.ops.map((op) => ({ fixed: op })),
    ...(Object.keys(spec.extras).length > 0 && {
      extras: Object.fromEntries(Object.entries(spec.extras).map(([k, v]) => [k, { fixed: v }])),
    }),
  };
}
