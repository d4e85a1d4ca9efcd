/**
 * The block as a DAG (paper §2.1, Fig. 2): the ops vector fills a strictly upper-triangular operation
 * matrix column by column, and the matrix tells which blocks can be built at all.
 */
import { type BlockEdge, type BlockSpec, type NodeCount, OPS, type OpCode } from './spec';

export const MIN_NODES = 2;
export const MAX_NODES = 4;

/** Number of ops a block of `nodes` nodes uses: nodes·(nodes−1)/2 (1, 3 or 6). */
export function opsForNodes(nodes: number): number {
  return (nodes * (nodes - 1)) / 2;
}

/**
 * The (from, to) matrix entry of each position of the ops vector: (0,1), (0,2), (1,2), (0,3), (1,3), (2,3).
 * Column order is what lets the first nodes·(nodes−1)/2 ops define a smaller block.
 */
export function opPositions(nodes: number): Array<{ from: number; to: number }> {
  const positions: Array<{ from: number; to: number }> = [];
  for (let to = 1; to < nodes; to++) for (let from = 0; from < to; from++) positions.push({ from, to });
  return positions;
}

function assertBlock(block: BlockSpec): void {
  const { nodes, ops } = block;
  if (!Number.isInteger(nodes) || nodes < MIN_NODES || nodes > MAX_NODES)
    throw new Error(`block nodes must be an integer in ${MIN_NODES}..${MAX_NODES}, got ${nodes}`);
  if (ops.length !== opsForNodes(nodes))
    throw new Error(`a block of ${nodes} nodes uses ${opsForNodes(nodes)} ops, got ${ops.length}`);
  ops.forEach((op, i) => {
    if (!OPS.some((o) => o.code === op)) throw new Error(`block op ${i} must be an op code 0..6, got ${op}`);
  });
}

/** Builds a block from an ops vector that may be longer than needed (the unused tail is dropped). */
export function blockFromOps(nodes: NodeCount, ops: readonly number[]): BlockSpec {
  const used = ops.slice(0, opsForNodes(nodes)) as OpCode[];
  const block = { nodes, ops: used };
  assertBlock(block);
  return block;
}

/** The nodes×nodes operation matrix: M[i][j] = op from node i to node j, zero on and below the diagonal. */
export function blockMatrix(block: BlockSpec): OpCode[][] {
  assertBlock(block);
  const m: OpCode[][] = Array.from({ length: block.nodes }, () => Array<OpCode>(block.nodes).fill(0));
  opPositions(block.nodes).forEach(({ from, to }, i) => {
    m[from][to] = block.ops[i];
  });
  return m;
}

/** The non-zero entries as edges, ordered by target node then source: a valid evaluation order. */
export function blockEdges(block: BlockSpec): BlockEdge[] {
  const m = blockMatrix(block);
  const edges: BlockEdge[] = [];
  for (let to = 1; to < block.nodes; to++)
    for (let from = 0; from < to; from++) if (m[from][to] !== 0) edges.push({ from, to, op: m[from][to] });
  return edges;
}

export interface BlockProblem {
  /** 'source': an intermediate node without inputs; 'sink': an intermediate node without outputs. */
  kind: 'source' | 'sink';
  node: number;
  message: string;
}

export interface BlockLegality {
  legal: boolean;
  problems: BlockProblem[];
}

/**
 * Only node 0 may be a source (all-zero column) and only the last node a sink (all-zero row), because
 * those two are the block's connections to the rest of the network; any other source or sink leaves
 * a feature map that cannot be computed or is never used.
 */
export function checkBlock(block: BlockSpec): BlockLegality {
  const m = blockMatrix(block);
  const last = block.nodes - 1;
  const problems: BlockProblem[] = [];
  for (let node = 1; node <= last; node++) {
    if (m.every((row) => row[node] === 0))
      problems.push({
        kind: 'source',
        node,
        message: `node ${node} is a source: it has no input (column ${node} of the operation matrix is all zero); only node 0 may be a source`,
      });
  }
  for (let node = 0; node < last; node++) {
    if (m[node].every((op) => op === 0))
      problems.push({
        kind: 'sink',
        node,
        message: `node ${node} is a sink: its output is never used (row ${node} of the operation matrix is all zero); only node ${last} may be a sink`,
      });
  }
  return { legal: problems.length === 0, problems };
}

/** The matrix as aligned text, for the CLI and logs. */
export function formatMatrix(matrix: readonly (readonly number[])[]): string {
  return matrix.map((row) => row.join(' ')).join('\n');
}
