/**
 * The vocabulary of the search: what a block and a network are, once decoded from floor(x).
 * Everything that builds, trains, stores or draws a network speaks these types.
 */

/** Table 1 of the paper. The numeric codes are the paper's and appear in stored x vectors. */
export const OP_CODES = [0, 1, 2, 3, 4, 5, 6] as const;
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

export type NodeCount = 2 | 3 | 4;

/**
 * A block (paper §2.1): a DAG over `nodes` feature maps. `ops` holds only the
 * nodes·(nodes−1)/2 entries that the block uses, in column order (0,1), (0,2), (1,2), (0,3), (1,3), (2,3).
 */
export interface BlockSpec {
  nodes: NodeCount;
  ops: OpCode[];
}

/** One edge of the block DAG: op from node `from` to node `to` (from < to). */
export interface BlockEdge {
  from: number;
  to: number;
  op: OpCode;
}

/** The decoded network (paper §2.2, Fig. 1): what floor(x) means. */
export interface ArchitectureSpec {
  /** Channels of the first MegaBlock. */
  n: number;
  /** Number of max-poolings (encoder has p+1 MegaBlocks, decoder p). */
  p: number;
  /** Deep supervision. */
  sup: boolean;
  /** Residual connection around each block. */
  res: boolean;
  block: BlockSpec;
  /** Continuous extra hyperparameters (e.g. learningRate), by name; not floored. */
  extras: Record<string, number>;
}
