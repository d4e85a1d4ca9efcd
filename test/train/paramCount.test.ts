import { describe, expect, it } from 'vitest';
import type { ArchitectureSpec, BlockSpec } from '../../main/core/spec';
import { paramCount } from '../../main/train/paramCount';

const spec = (n: number, p: number, sup: boolean, res: boolean, block: BlockSpec): ArchitectureSpec => ({
  n,
  p,
  sup,
  res,
  block,
  extras: {},
});
const SEGNAS4_BLOCK: BlockSpec = { nodes: 3, ops: [2, 0, 2] };

// Hand derivations. Conv(k,d) Cin→C = k³·Cin·C + 2C (BN γ,β); channel-changing skip/residual = Cin·C;
// head = C·K + K. Levels for n = 8: channels 8, 16, 32, 64; decoder inputs = upsampled + encoder copy.
describe('paramCount (closed form from the spec)', () => {
  it('SegNAS4 reference network n=8 p=3 K=4: two Conv(3,1) per MegaBlock', () => {
    const twoConvs = (cin: number, c: number) => 27 * cin * c + 2 * c + (27 * c * c + 2 * c);
    const expected =
      twoConvs(1, 8) +
      twoConvs(8, 16) +
      twoConvs(16, 32) +
      twoConvs(32, 64) + // encoder
      twoConvs(64 + 32, 32) +
      twoConvs(32 + 16, 16) +
      twoConvs(16 + 8, 8) + // decoder
      (8 * 4 + 4); // output head
    expect(expected).toBe(365564);
    expect(paramCount(spec(8, 3, false, false, SEGNAS4_BLOCK), 4)).toBe(365564);
  });

  it('sup = 1 adds a head at every decoder level but the finest (levels 2 and 1 here)', () => {
    const aux = 32 * 4 + 4 + (16 * 4 + 4);
    expect(paramCount(spec(8, 3, true, false, SEGNAS4_BLOCK), 4)).toBe(365564 + aux);
  });

  it('SegNAS11 block with 4 nodes, a skip edge, dilations, Conv(1,1), Conv(5,1) and res = 1', () => {
    // ops (0,1)=Conv(3,1) (0,2)=Skip (1,2)=Conv(3,2) (0,3)=None (1,3)=Conv(1,1) (2,3)=Conv(5,1)
    const block: BlockSpec = { nodes: 4, ops: [2, 6, 4, 0, 1, 3] };
    const proj = (cin: number, c: number) => (cin === c ? 0 : cin * c);
    const mega = (cin: number, c: number) =>
      27 * cin * c +
      2 * c + // (0,1) Conv(3,1)
      proj(cin, c) + // (0,2) skip: 1×1×1 projection since Cin ≠ C
      27 * c * c +
      2 * c + // (1,2) Conv(3,2)
      c * c +
      2 * c + // (1,3) Conv(1,1)
      125 * c * c +
      2 * c + // (2,3) Conv(5,1)
      proj(cin, c); // residual projection
    const expected =
      mega(1, 8) + mega(8, 16) + mega(16, 32) + mega(32 + 16, 16) + mega(16 + 8, 8) + (8 * 3 + 3);
    expect(expected).toBe(301891);
    expect(paramCount(spec(8, 2, false, true, block), 3)).toBe(301891);
  });

  it('a skip-only block has weights only where channels change (projections), identity elsewhere', () => {
    const block: BlockSpec = { nodes: 2, ops: [6] };
    // each MegaBlock: skip projection + residual projection = 2·Cin·C; all change channels here
    const expected = 2 * (1 * 8 + 8 * 16 + 16 * 32 + 48 * 16 + 24 * 8) + (8 * 2 + 2);
    expect(paramCount(spec(8, 2, false, true, block), 2)).toBe(expected);
  });

  it('does not depend on the cube size and counts every input channel', () => {
    const s = spec(12, 2, false, false, SEGNAS4_BLOCK);
    expect(paramCount(s, 2, 2) - paramCount(s, 2, 1)).toBe(27 * 12);
  });
});
