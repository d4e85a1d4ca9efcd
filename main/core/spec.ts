/**
 * The vocabulary of the search: what a block and a network are, once decoded from floor(x).
 * Everything that builds, trains, stores or draws a network speaks these types. The spec crosses
 * process boundaries (trainer protocol, UI contract, store), so its shape is a zod schema and the
 * types derive from it.
 */
import { z } from 'zod';

/** Table 1 of the paper. The numeric codes are the paper's and appear in stored x vectors. */
export const OP_CODES = [0, 1, 2, 3, 4, 5, 6] as const;
export const opCodeSchema = z.literal(OP_CODES);
export type OpCode = (typeof OP_CODES)[number];

export type OpKind = 'none' | 'conv' | 'skip';

export interface OpInfo {
  code: OpCode;
  kind: OpKind;
  /** Human-readable label as in Table 1, e.g. "Conv(3,2)". */
  label: string;
  /** Kernel size k of a k×k×k convolution (0 for none/skip). */
  kernel: number;
  /** Dilation rate d (0 for none/skip). */
  dilation: number;
}

export const OPS: readonly OpInfo[] = [
  { code: 0, kind: 'none', label: 'None', kernel: 0, dilation: 0 },
  { code: 1, kind: 'conv', label: 'Conv(1,1)', kernel: 1, dilation: 1 },
  { code: 2, kind: 'conv', label: 'Conv(3,1)', kernel: 3, dilation: 1 },
  { code: 3, kind: 'conv', label: 'Conv(5,1)', kernel: 5, dilation: 1 },
  { code: 4, kind: 'conv', label: 'Conv(3,2)', kernel: 3, dilation: 2 },
  { code: 5, kind: 'conv', label: 'Conv(5,2)', kernel: 5, dilation: 2 },
  { code: 6, kind: 'skip', label: 'Skip', kernel: 0, dilation: 0 },
];

export const nodeCountSchema = z.union([z.literal(2), z.literal(3), z.literal(4)]);
export type NodeCount = z.infer<typeof nodeCountSchema>;

/**
 * A block (paper §2.1): a DAG over `nodes` feature maps. `ops` holds only the
 * nodes·(nodes−1)/2 entries that the block uses, in column order (0,1), (0,2), (1,2), (0,3), (1,3), (2,3).
 */
export const blockSpecSchema = z.object({ nodes: nodeCountSchema, ops: z.array(opCodeSchema).max(6) });
export type BlockSpec = z.infer<typeof blockSpecSchema>;

/** One edge of the block DAG: op from node `from` to node `to` (from < to). */
export interface BlockEdge {
  from: number;
  to: number;
  op: OpCode;
}

/** The decoded network (paper §2.2, Fig. 1): what floor(x) means. */
export const architectureSpecSchema = z.object({
  /** Channels of the first MegaBlock. */
  n: z.number().int().positive(),
  /** Number of max-poolings (encoder has p+1 MegaBlocks, decoder p). */
  p: z.number().int().nonnegative(),
  /** Deep supervision. */
  sup: z.boolean(),
  /** Residual connection around each block. */
  res: z.boolean(),
  block: blockSpecSchema,
  /** Continuous extra hyperparameters (e.g. learningRate), by name; not floored. */
  extras: z.record(z.string(), z.number()),
});
export type ArchitectureSpec = z.infer<typeof architectureSpecSchema>;

/** One line a person reads: the searched hyperparameters and the block's operations. */
export function describeSpec(spec: ArchitectureSpec): string {
  const ops = spec.block.ops.map((o) => OPS[o]?.label ?? String(o)).join(', ');
  const extras = Object.entries(spec.extras)
    .map(([k, v]) => `, ${k} ${v.toPrecision(3)}`)
    .join('');
  return `n ${spec.n}, p ${spec.p}, sup ${spec.sup ? 'on' : 'off'}, res ${spec.res ? 'on' : 'off'}, ${spec.block.nodes}-node block [${ops}]${extras}`;
}
