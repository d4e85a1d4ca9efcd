import { describe, expect, it } from 'vitest';
import {
  blockEdges,
  blockFromOps,
  blockMatrix,
  checkBlock,
  opPositions,
  opsForNodes,
} from '../../main/core/blockMatrix';
import type { BlockSpec, OpCode } from '../../main/core/spec';

const block4 = (ops: number[]): BlockSpec => ({ nodes: 4, ops: ops as OpCode[] });

describe('ops vector → operation matrix', () => {
  it('fills the strictly upper triangle column by column: (0,1), (0,2), (1,2), (0,3), (1,3), (2,3)', () => {
    expect(opPositions(4)).toEqual([
      { from: 0, to: 1 },
      { from: 0, to: 2 },
      { from: 1, to: 2 },
      { from: 0, to: 3 },
      { from: 1, to: 3 },
      { from: 2, to: 3 },
    ]);
    expect(blockMatrix(block4([1, 2, 3, 4, 5, 6]))).toEqual([
      [0, 1, 2, 4],
      [0, 0, 3, 5],
      [0, 0, 0, 6],
      [0, 0, 0, 0],
    ]);
  });

  it('uses only the first nodes·(nodes−1)/2 ops, so smaller blocks ignore the tail', () => {
    expect([2, 3, 4].map(opsForNodes)).toEqual([1, 3, 6]);
    expect(blockFromOps(3, [2, 0, 2, 5, 5, 5])).toEqual({ nodes: 3, ops: [2, 0, 2] });
    expect(blockMatrix(blockFromOps(2, [4, 1, 1, 1, 1, 1]))).toEqual([
      [0, 4],
      [0, 0],
    ]);
  });

  it('lists the edges in an order where every input is computed before it is used', () => {
    expect(blockEdges(block4([2, 6, 3, 0, 4, 2]))).toEqual([
      { from: 0, to: 1, op: 2 },
      { from: 0, to: 2, op: 6 },
      { from: 1, to: 2, op: 3 },
      { from: 1, to: 3, op: 4 },
      { from: 2, to: 3, op: 2 },
    ]);
  });

  it('rejects an ops vector of the wrong length or with unknown op codes', () => {
    expect(() => blockMatrix({ nodes: 3, ops: [2, 0] as OpCode[] })).toThrow(/3 nodes uses 3 ops, got 2/);
    expect(() => blockMatrix({ nodes: 2, ops: [7] as unknown as OpCode[] })).toThrow(
      /op 0 must be an op code 0..6, got 7/,
    );
  });
});

describe('legality, paper Fig. 2', () => {
  it('(a) the simplest block, a "shifted" diagonal chain 0→1→2→3, is legal', () => {
    const a = block4([2, 0, 2, 0, 0, 2]);
    expect(blockMatrix(a)).toEqual([
      [0, 2, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 2],
      [0, 0, 0, 0],
    ]);
    expect(checkBlock(a)).toEqual({ legal: true, problems: [] });
  });

  it('(b) a block with multiple nodal inputs and outputs is legal', () => {
    const b = block4([2, 6, 3, 0, 4, 2]);
    const edges = blockEdges(b);
    expect(edges.filter((e) => e.from === 1)).toHaveLength(2); // node 1 feeds two nodes
    expect(edges.filter((e) => e.to === 2)).toHaveLength(2); // node 2 sums two inputs
    expect(checkBlock(b).legal).toBe(true);
  });

  it('(c) node 2 without parents is an illegal source', () => {
    const { legal, problems } = checkBlock(block4([2, 0, 0, 0, 3, 2]));
    expect(legal).toBe(false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'source', node: 2 });
    expect(problems[0].message).toMatch(/node 2 is a source.*column 2/);
  });

  it('(d) node 1 without children is an illegal sink', () => {
    const { legal, problems } = checkBlock(block4([2, 3, 0, 0, 0, 2]));
    expect(legal).toBe(false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'sink', node: 1 });
    expect(problems[0].message).toMatch(/node 1 is a sink.*row 1/);
  });

  it('reports every problem of a block, e.g. an empty two-node block is both', () => {
    expect(checkBlock({ nodes: 2, ops: [0] }).problems.map((p) => `${p.kind}${p.node}`)).toEqual([
      'source1',
      'sink0',
    ]);
  });

  it('allows the direct input→output edge alongside a chain, and a lone skip edge', () => {
    expect(checkBlock(block4([2, 0, 2, 6, 0, 2])).legal).toBe(true);
    expect(checkBlock({ nodes: 2, ops: [6] }).legal).toBe(true);
  });
});
