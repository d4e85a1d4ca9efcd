/** The candidate table at scale: patched rows equal a fresh query; comparing shows what differs. */
import { describe, expect, it } from 'vitest';
import type { CandidateStatus, CandidateSummary } from '../../main/api';
import { createPrng } from '../../main/core/prng';
import { queryCandidates, SORT_KEYS, type TableQuery, updateQuery } from '../../renderer/lib/candidates';
import { compareRows, edgeDifferences, overlayCurves } from '../../renderer/lib/compare';

const STATUSES: CandidateStatus[] = ['trained', 'trained', 'cached', 'illegal', 'oom'];

function makeCandidates(count: number, seed = 3): CandidateSummary[] {
  const prng = createPrng(seed);
  return Array.from({ length: count }, (_, seq) => {
    const status = STATUSES[prng.int(STATUSES.length)];
    const trained = status === 'trained' || status === 'cached';
    const start = 1_700_000_000_000 + seq * 60_000;
    return {
      experimentId: 1,
      seq,
      diagnosis: null,
      key: `k${seq}`,
      spec: {
        n: 8 + prng.int(25),
        p: 2 + prng.int(4),
        sup: prng.int(2) === 1,
        res: prng.int(2) === 1,
        block: { nodes: 3, ops: [prng.int(7), 0, 2] as CandidateSummary['spec']['block']['ops'] },
        extras: {},
      },
      status,
      reason: null,
      f: trained ? 1 : 10,
      // Ties on purpose: the order must still be total (by seq).
      valDice: trained ? Math.round(prng.uniform() * 20) / 20 : null,
      perLabelDice: null,
      paramCount: trained ? 1000 + prng.int(1e6) : null,
      estMemoryBytes: null,
      peakMemoryBytes: null,
      device: null,
      startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + prng.int(50_000)).toISOString(),
    };
  });
}

describe('candidate table during a live search', () => {
  const all = makeCandidates(600);
  const queries: TableQuery[] = [
    ...SORT_KEYS.flatMap((sortBy) => [
      { sortBy, descending: true, text: '' },
      { sortBy, descending: false, text: '' },
    ]),
    { sortBy: 'valDice', descending: true, text: 'conv(5' },
    { sortBy: 'time', descending: false, text: 'trained' },
  ];

  it('inserts finished candidates into the sorted rows exactly where a full sort puts them', () => {
    for (const q of queries) {
      let shown = all.slice(0, 500);
      let rows = queryCandidates(shown, q);
      for (let n = 501; n <= all.length; n += 7) {
        const next = all.slice(0, n);
        rows = updateQuery(rows, shown, next, q);
        shown = next;
      }
      expect(rows.map((c) => c.seq)).toEqual(queryCandidates(shown, q).map((c) => c.seq));
    }
  });

  it('replaces a candidate whose result changed (a running one finishing)', () => {
    const q: TableQuery = { sortBy: 'valDice', descending: true, text: '' };
    const before = all
      .slice(0, 50)
      .map((c, i) => (i === 20 ? { ...c, status: 'running' as const, valDice: null } : c));
    const after = all
      .slice(0, 50)
      .map((c, i) => (i === 20 ? { ...c, status: 'trained' as const, valDice: 0.99 } : c));
    const rows = updateQuery(queryCandidates(before, q), before, after, q);
    expect(rows).toHaveLength(50);
    expect(rows.map((c) => c.seq)).toEqual(queryCandidates(after, q).map((c) => c.seq));
  });
});

describe('comparing candidates', () => {
  const [a, b] = makeCandidates(2);
  const one = { ...a, spec: { ...a.spec, block: { nodes: 3 as const, ops: [2, 0, 2] as (0 | 2)[] } } };
  const two = {
    ...b,
    spec: { ...a.spec, n: a.spec.n + 1, block: { nodes: 3 as const, ops: [2, 6, 4] as (0 | 2 | 4 | 6)[] } },
  };

  it('highlights the edges that not every block shares', () => {
    const [d1, d2] = edgeDifferences([one.spec.block, two.spec.block]);
    // Shared: Conv(3,1) 0→1. Different: 1→2 (Conv(3,1) vs Conv(3,2)) and the skip 0→2 only in the second.
    expect([...d1]).toEqual(['1-2:2']);
    expect([...d2].sort()).toEqual(['0-2:6', '1-2:4']);
  });

  it('marks the settings that differ and overlays curves by epoch', () => {
    const rows = compareRows(
      [one, two],
      [
        ['n', (c) => String(c.spec.n)],
        ['p', (c) => String(c.spec.p)],
      ],
    );
    expect(rows.map((r) => r.differs)).toEqual([true, false]);
    const merged = overlayCurves([
      [{ epoch: 1, loss: 1, valDice: 0.2, seconds: 1 }],
      [
        { epoch: 1, loss: 0.9, valDice: 0.3, seconds: 1 },
        { epoch: 2, loss: 0.8, valDice: 0.4, seconds: 1 },
      ],
    ]);
    expect(merged).toEqual([
      { epoch: 1, d0: 0.2, l0: 1, d1: 0.3, l1: 0.9 },
      { epoch: 2, d1: 0.4, l1: 0.8 },
    ]);
  });
});
