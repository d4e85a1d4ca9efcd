import { describe, expect, it } from 'vitest';
import { getPreset, listPresets, presetSpace } from '../../main/nas/presets';
import {
  countCombinations,
  createSearchSpace,
  type SearchBounds,
  SearchSpaceError,
  specKey,
  validateSearchSpaceConfig,
} from '../../main/nas/searchSpace';

const range = (lo: number, hi: number) => ({ lo, hi });
const fixed = (v: number) => ({ fixed: v });
const sixOps = () => Array.from({ length: 6 }, () => range(0, 7));

describe('presets = paper Table 2', () => {
  it('SegNAS11 searches all eleven hyperparameters with the paper bounds', () => {
    const s = presetSpace('segnas11');
    expect(s.dims.map((d) => d.name)).toEqual([
      'n',
      'p',
      'sup',
      'res',
      'nodes',
      'ops0',
      'ops1',
      'ops2',
      'ops3',
      'ops4',
      'ops5',
    ]);
    expect(s.lower).toEqual([8, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
    expect(s.upper).toEqual([33, 6, 2, 2, 5, 7, 7, 7, 7, 7, 7]);
  });

  it('SegNAS4 searches n, p, sup, res with the block fixed to nodes 3, ops {2,0,2}', () => {
    const p = getPreset('SegNAS4');
    expect(p.space).toEqual({
      n: range(8, 33),
      p: range(2, 6),
      sup: range(0, 2),
      res: range(0, 2),
      nodes: fixed(3),
      ops: [fixed(2), fixed(0), fixed(2)],
    });
    expect(presetSpace('segnas4').dims.map((d) => d.name)).toEqual(['n', 'p', 'sup', 'res']);
  });

  it('SegNAS7 fixes n 16, p 4, sup 0, res 1 and searches nodes and six ops', () => {
    const p = getPreset('segnas7');
    expect([p.space.n, p.space.p, p.space.sup, p.space.res]).toEqual([
      fixed(16),
      fixed(4),
      fixed(0),
      fixed(1),
    ]);
    expect(p.space.nodes).toEqual(range(2, 5));
    expect(p.space.ops).toEqual(sixOps());
    expect(presetSpace('segnas7').dims).toHaveLength(7);
  });

  it('counts the paper’s >141 million SegNAS11 combinations, fewer distinct networks without unused ops', () => {
    expect(countCombinations(getPreset('segnas11').space)).toEqual({
      cells: 141_178_800,
      architectures: 47_199_600,
    });
    expect(countCombinations(getPreset('segnas4').space)).toEqual({ cells: 400, architectures: 400 });
    expect(countCombinations(getPreset('segnas7').space).architectures).toBe(7 + 7 ** 3 + 7 ** 6);
  });

  it('lists the three variants and names the known ones when asked for another', () => {
    expect(listPresets().map((p) => p.name)).toEqual(['SegNAS11', 'SegNAS4', 'SegNAS7']);
    expect(() => getPreset('segnas5')).toThrow(
      /unknown search variant 'segnas5'; known: segnas11, segnas4, segnas7/,
    );
  });

  it('hands out copies, so editing a preset for a custom search leaves the preset intact', () => {
    const p = getPreset('segnas11');
    (p.space.n as { lo: number }).lo = 1;
    expect(getPreset('segnas11').space.n).toEqual(range(8, 33));
  });
});

describe('floor decoding', () => {
  it('SegNAS4 decodes to two cascaded Conv(3,1) with the floored block-connecting values', () => {
    const spec = presetSpace('segnas4').decode([16.7, 3.2, 0.9, 1.5]);
    expect(spec).toEqual({
      n: 16,
      p: 3,
      sup: false,
      res: true,
      block: { nodes: 3, ops: [2, 0, 2] },
      extras: {},
    });
  });

  it('decodes x exactly at an upper bound to hi−1, and just below it too', () => {
    const s = presetSpace('segnas11');
    const atHi = s.decode(s.upper);
    expect([atHi.n, atHi.p, atHi.sup, atHi.res, atHi.block.nodes]).toEqual([32, 5, true, true, 4]);
    expect(atHi.block.ops).toEqual([6, 6, 6, 6, 6, 6]);
    const below = s.decode(s.upper.map((u) => u - 1e-9));
    expect(below).toEqual(atHi);
    const atLo = s.decode(s.lower);
    expect([atLo.n, atLo.p, atLo.sup, atLo.res, atLo.block.nodes]).toEqual([8, 2, false, false, 2]);
  });

  it('keeps only the ops the block uses; the struck-through ones do not change the key', () => {
    const s = presetSpace('segnas11');
    const a = [16, 4, 0, 1, 3.5, 2.1, 0.3, 2.9, 5, 5, 5];
    const b = [16.9, 4.2, 0.5, 1.1, 3.0, 2.8, 0.9, 2.0, 0, 1, 6];
    expect(s.decode(a).block).toEqual({ nodes: 3, ops: [2, 0, 2] });
    expect(s.key(a)).toBe(s.key(b));
    expect(s.key(a)).toBe('n=16;p=4;sup=0;res=1;nodes=3;ops=2,0,2');
    expect(s.key([16, 4, 0, 1, 4, 2, 0, 2, 0, 0, 2])).not.toBe(s.key(a));
  });

  it('maps a known architecture back to a point of the same cell', () => {
    const s = presetSpace('segnas11');
    const x = [20.4, 3.3, 1.2, 0.2, 4.6, 1.1, 2.2, 3.3, 4.4, 5.5, 6.6];
    expect(s.key(s.encode(s.values(x)))).toBe(s.key(x));
  });

  it('rejects points of the wrong length, naming the free dimensions', () => {
    expect(() => presetSpace('segnas4').decode([16, 3])).toThrow(/4 coordinates \(n, p, sup, res\), got 2/);
  });

  it('searches continuous extras on a log scale and keys them exactly', () => {
    const config: SearchBounds = {
      ...getPreset('segnas4').space,
      extras: { learningRate: { lo: 1e-4, hi: 1e-2, scale: 'log' }, dropout: fixed(0.2) },
    };
    const s = createSearchSpace(config);
    expect(s.dims.at(-1)).toMatchObject({
      name: 'learningRate',
      kind: 'continuous',
      lo: -4,
      hi: -2,
      scale: 'log',
    });
    const spec = s.decode([16, 3, 0, 0, -3]);
    expect(spec.extras.learningRate).toBeCloseTo(1e-3, 15);
    expect(spec.extras.dropout).toBe(0.2);
    expect(specKey(spec)).toBe(`n=16;p=3;sup=0;res=0;nodes=3;ops=2,0,2;dropout=0.2;learningRate=${10 ** -3}`);
    expect(s.key([16, 3, 0, 0, -3])).not.toBe(s.key([16, 3, 0, 0, -2.999]));
  });
});

describe('bad bounds are rejected with a message naming the field', () => {
  const base = (): SearchBounds => structuredClone(getPreset('segnas11').space);
  const issuesOf = (patch: (c: SearchBounds) => void, inputSize?: number | number[]) => {
    const c = base();
    patch(c);
    return validateSearchSpaceConfig(c, { inputSize });
  };

  it.each([
    ['lo ≥ hi', (c: SearchBounds) => (c.n = range(33, 8)), 'n', /lower bound 33 must be below upper bound 8/],
    [
      'lo = hi',
      (c: SearchBounds) => (c.sup = range(1, 1)),
      'sup',
      /lower bound 1 must be below upper bound 1/,
    ],
    [
      'non-integer bounds',
      (c: SearchBounds) => (c.p = range(2, 5.5)),
      'p',
      /must be integers, got \[2, 5.5\)/,
    ],
    ['non-integer fixed', (c: SearchBounds) => (c.n = fixed(15.5)), 'n', /fixed value must be an integer/],
    [
      'op above 6',
      (c: SearchBounds) => (c.ops[3] = range(0, 8)),
      'ops[3]',
      /values 0..7, outside op codes 0..6/,
    ],
    ['negative op', (c: SearchBounds) => (c.ops[0] = fixed(-1)), 'ops[0]', /outside op codes 0..6/],
    [
      'nodes above 4',
      (c: SearchBounds) => (c.nodes = range(2, 6)),
      'nodes',
      /values 2..5, outside 2..4 nodes/,
    ],
    ['nodes below 2', (c: SearchBounds) => (c.nodes = fixed(1)), 'nodes', /outside 2..4 nodes/],
    ['sup beyond 0/1', (c: SearchBounds) => (c.sup = range(0, 3)), 'sup', /outside 0 \(off\) or 1 \(on\)/],
    [
      'wrong op count',
      (c: SearchBounds) => (c.nodes = range(2, 4)),
      'ops',
      /up to 3 nodes need exactly 3 ops.*got 6/,
    ],
    ['missing field', (c: SearchBounds) => delete (c as Partial<SearchBounds>).res, 'res', /must be \{"lo"/],
    [
      'log range from 0',
      (c: SearchBounds) => (c.extras = { learningRate: { lo: 0, hi: 1, scale: 'log' } }),
      'extras.learningRate',
      /log-scale range needs lo > 0/,
    ],
    [
      'reserved extra name',
      (c: SearchBounds) => (c.extras = { nodes: { lo: 0, hi: 1 } }),
      'extras.nodes',
      /extra names must be identifiers/,
    ],
  ])('%s', (_label, patch, field, message) => {
    const issues = issuesOf(patch);
    expect(issues).toHaveLength(1);
    expect(issues[0].field).toBe(field);
    expect(issues[0].message).toMatch(message);
  });

  it('p so large that the input would shrink below one voxel', () => {
    expect(issuesOf(() => {}, 32)).toEqual([]); // 32 / 2^5 = 1 voxel: still possible
    const issues = issuesOf(() => {}, [64, 64, 16]);
    expect(issues).toHaveLength(1);
    expect(issues[0].field).toBe('p');
    expect(issues[0].message).toMatch(/p up to 5 .* below 1 voxel .*\(16\/32\).*at most 5/);
  });

  it('createSearchSpace throws one error listing every problem, with its source', () => {
    const c = base();
    c.n = range(40, 8);
    c.ops[5] = range(0, 9);
    let error: unknown;
    try {
      createSearchSpace(c, { source: 'my-space.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SearchSpaceError);
    expect((error as SearchSpaceError).issues.map((i) => i.field)).toEqual(['n', 'ops[5]']);
    expect((error as Error).message).toMatch(
      /^my-space.json: invalid search space:\n {2}n: .*\n {2}ops\[5\]: /,
    );
  });

  it('accepts every preset, and a custom space with fixed and extra hyperparameters', () => {
    for (const p of listPresets()) expect(validateSearchSpaceConfig(p.space, { inputSize: 64 })).toEqual([]);
    const custom = {
      ...base(),
      nodes: fixed(2),
      ops: [range(1, 6)],
      extras: { learningRate: range(1e-4, 1e-2) },
    };
    expect(validateSearchSpaceConfig(custom)).toEqual([]);
  });
});
