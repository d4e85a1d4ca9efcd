/** The contract's compact form of an experiment's candidates: what getExperiment sends the UI. */
import { describe, expect, it } from 'vitest';
import {
  type CandidateSummary,
  candidateColumnsSchema,
  decodeCandidates,
  decodeWire,
  encodeCandidates,
  encodeWire,
} from '../main/api';

function summary(seq: number, patch: Partial<CandidateSummary> = {}): CandidateSummary {
  return {
    experimentId: 7,
    seq,
    key: `16,3,0,1,3,2,0,${seq % 7}`,
    spec: {
      n: 16 + (seq % 9),
      p: 3,
      sup: seq % 2 === 0,
      res: seq % 3 === 0,
      block: { nodes: 3, ops: [2, 0, 5] },
      extras: {},
    },
    status: 'trained',
    reason: null,
    f: 0.7 + seq / 1e4,
    valDice: 0.5 + seq / 1e5,
    perLabelDice: { anterior: 0.51, posterior: 0.49 },
    paramCount: 120_000 + seq,
    estMemoryBytes: null,
    peakMemoryBytes: null,
    device: 'cpu:0',
    startedAt: new Date(Date.UTC(2026, 0, 1) + seq * 90_000).toISOString(),
    endedAt: new Date(Date.UTC(2026, 0, 1) + seq * 90_000 + 41_234).toISOString(),
    diagnosis: null,
    ...patch,
  };
}

/** Through the wire and back, as the renderer receives it. */
const roundTrip = (rows: CandidateSummary[]) =>
  decodeCandidates(
    (
      decodeWire(encodeWire({ kind: 'response', id: 1, ok: true, value: encodeCandidates(7, rows) })) as {
        value: ReturnType<typeof encodeCandidates>;
      }
    ).value,
  );

describe('candidate columns', () => {
  it('give back every summary exactly, whatever its status, nulls, labels and times', () => {
    const rows = [
      summary(0),
      summary(1, {
        status: 'illegal',
        reason: 'node 1 is a source',
        f: 10,
        valDice: null,
        perLabelDice: null,
        endedAt: null,
      }),
      summary(2, {
        status: 'oom',
        reason: 'needs 9 GB',
        device: null,
        paramCount: null,
        estMemoryBytes: 9e9,
      }),
      // A label only some candidates report, and a spec with an extra hyperparameter.
      summary(3, {
        perLabelDice: { anterior: 0.7, posterior: 0.6, tail: 0.2 },
        peakMemoryBytes: 3.2e8,
        spec: { ...summary(3).spec, extras: { learningRate: 3e-4 } },
      }),
      summary(4, { diagnosis: 'did not learn (Dice 0 at every epoch)', valDice: 0, f: 10 }),
      // Times not in the store's own format travel as they are.
      summary(5, { startedAt: '2026-01-01T00:00:00Z', endedAt: 'yesterday' }),
      // In the store's shape but no date (February 30th), and a year before 100.
      summary(7, { startedAt: '2026-02-30T10:00:00.000Z', endedAt: '0099-12-31T23:59:59.999Z' }),
      summary(6, { status: 'running', f: null, valDice: null, perLabelDice: null, endedAt: null }),
    ];
    expect(roundTrip(rows)).toEqual(rows);
    expect(roundTrip([])).toEqual([]);
  });

  it('fit the contract schema and decode in slices that join into the whole', () => {
    const rows = Array.from({ length: 25 }, (_, i) => summary(i));
    const cols = encodeCandidates(7, rows);
    expect(candidateColumnsSchema.safeParse(cols).success).toBe(true);
    const slices = [0, 10, 20].flatMap((from) => decodeCandidates(cols, from, from + 10));
    expect(slices).toEqual(rows);
  });

  it('take well under half the bytes of the same summaries as rows', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => summary(i));
    const asColumns = JSON.stringify(encodeCandidates(7, rows)).length;
    const asRows = JSON.stringify(rows).length;
    expect(asColumns / asRows).toBeLessThan(0.5);
  });
});
