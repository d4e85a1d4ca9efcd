/**
 * The candidate column codec: how getExperiment and getCandidatePage send thousands of candidate
 * summaries compactly, and how the renderer turns them back into rows. Part of the contract (main/api.ts
 * re-exports it), so it must stay free of Node APIs.
 */
import { z } from 'zod';
import { isoToMs, msToIso } from './core/isoTime';
import { learningDiagnosis } from './core/learningDiagnosis';
import { nodeCountSchema, opCodeSchema } from './core/spec';
import type { CandidateStatus } from './core/status';
import type { Candidate, CandidateRecord } from './store/types';

/**
 * A candidate as the results table and charts need it: everything but the per-epoch curve and the
 * optimizer's continuous x (together four fifths of the bytes; getCandidate has both).
 */
export type CandidateSummary = CandidateRecord & {
  /** "did not learn (…)" for a trained candidate whose curve shows it never learned, else null. */
  diagnosis: string | null;
};

/** The summary of a candidate: what the table and charts keep (the diagnosis is read from the curve here). */
export function toCandidateSummary({ curve, x: _x, ...c }: Candidate): CandidateSummary {
  return { ...c, diagnosis: c.status === 'trained' ? learningDiagnosis(curve) : null };
}

/** Index into CandidateColumns.texts, or −1 for null. */
const textIndexSchema = z.number().int().min(-1);
/** Milliseconds after CandidateColumns.timeBase, or the text itself when it is no ISO time. */
const timeCellSchema = z.union([z.number(), z.string()]);

/**
 * An experiment's candidate summaries as columns, as getExperiment sends them: each field name once
 * instead of once per candidate, repeated texts (statuses, reasons, devices, diagnoses) once, times as
 * numbers. At 10,000 candidates that is a third of the bytes of the rows, parsed in a third of the
 * time, and the renderer turns it into rows slice by slice (decodeCandidates) between frames.
 */
export const candidateColumnsSchema = z.object({
  experimentId: z.number().int(),
  texts: z.array(z.string()),
  /** Label names, in the order of each row of `perLabelDice`. */
  labels: z.array(z.string()),
  timeBase: z.number(),
  seq: z.array(z.number().int()),
  key: z.array(z.string()),
  n: z.array(z.number().int()),
  p: z.array(z.number().int()),
  sup: z.array(z.union([z.literal(0), z.literal(1)])),
  res: z.array(z.union([z.literal(0), z.literal(1)])),
  nodes: z.array(nodeCountSchema),
  ops: z.array(z.array(opCodeSchema)),
  extras: z.array(z.record(z.string(), z.number())),
  status: z.array(z.number().int().min(0)),
  reason: z.array(textIndexSchema),
  device: z.array(textIndexSchema),
  diagnosis: z.array(textIndexSchema),
  f: z.array(z.number().nullable()),
  valDice: z.array(z.number().nullable()),
  paramCount: z.array(z.number().nullable()),
  estMemoryBytes: z.array(z.number().nullable()),
  peakMemoryBytes: z.array(z.number().nullable()),
  /** Dice per label in the order of `labels` (null: the candidate has none for that label). */
  perLabelDice: z.array(z.array(z.number().nullable()).nullable()),
  startedAt: z.array(timeCellSchema),
  endedAt: z.array(timeCellSchema.nullable()),
});
export type CandidateColumns = z.infer<typeof candidateColumnsSchema>;

/** The columns of `summaries` (all of one experiment), in their order. */
export function encodeCandidates(
  experimentId: number,
  summaries: readonly CandidateSummary[],
): CandidateColumns {
  const texts: string[] = [];
  const textIds = new Map<string, number>();
  const text = (s: string | null): number => {
    if (s === null) return -1;
    let i = textIds.get(s);
    if (i === undefined) {
      i = texts.push(s) - 1;
      textIds.set(s, i);
    }
    return i;
  };
  const labels: string[] = [];
  for (const c of summaries)
    for (const name of Object.keys(c.perLabelDice ?? {})) if (!labels.includes(name)) labels.push(name);
  const timeBase = summaries.length > 0 ? (isoToMs(summaries[0].startedAt) ?? 0) : 0;
  // Only a time that comes back as the same text travels as a number.
  const time = (iso: string): number | string => {
    const ms = isoToMs(iso);
    return ms === null ? iso : ms - timeBase;
  };
  const cols: CandidateColumns = {
    experimentId,
    texts,
    labels,
    timeBase,
    seq: [],
    key: [],
    n: [],
    p: [],
    sup: [],
    res: [],
    nodes: [],
    ops: [],
    extras: [],
    status: [],
    reason: [],
    device: [],
    diagnosis: [],
    f: [],
    valDice: [],
    paramCount: [],
    estMemoryBytes: [],
    peakMemoryBytes: [],
    perLabelDice: [],
    startedAt: [],
    endedAt: [],
  };
  for (const c of summaries) {
    cols.seq.push(c.seq);
    cols.key.push(c.key);
    cols.n.push(c.spec.n);
    cols.p.push(c.spec.p);
    cols.sup.push(c.spec.sup ? 1 : 0);
    cols.res.push(c.spec.res ? 1 : 0);
    cols.nodes.push(c.spec.block.nodes);
    cols.ops.push(c.spec.block.ops);
    cols.extras.push(c.spec.extras);
    cols.status.push(text(c.status));
    cols.reason.push(text(c.reason));
    cols.device.push(text(c.device));
    cols.diagnosis.push(text(c.diagnosis));
    cols.f.push(c.f);
    cols.valDice.push(c.valDice);
    cols.paramCount.push(c.paramCount);
    cols.estMemoryBytes.push(c.estMemoryBytes);
    cols.peakMemoryBytes.push(c.peakMemoryBytes);
    const dice = c.perLabelDice;
    cols.perLabelDice.push(dice && labels.map((name) => (Object.hasOwn(dice, name) ? dice[name] : null)));
    cols.startedAt.push(time(c.startedAt));
    cols.endedAt.push(c.endedAt === null ? null : time(c.endedAt));
  }
  return cols;
}

/**
 * Candidates per page of getExperiment and getCandidatePage. A page is read, sent and decoded in tens
 * of milliseconds, and the renderer asks for the next page before decoding one, so that at 10,000
 * candidates the engine reads while the page decodes instead of one waiting for the other.
 */
export const CANDIDATE_PAGE = 2000;

/** Number of candidates the columns hold. */
export function candidateCount(cols: CandidateColumns): number {
  return cols.seq.length;
}

/**
 * The summaries of rows `from` to `to` (exclusive) of the columns: the renderer decodes a large
 * experiment in slices so that no single task builds all of them.
 */
export function decodeCandidates(
  cols: CandidateColumns,
  from = 0,
  to = candidateCount(cols),
): CandidateSummary[] {
  const { texts, labels, timeBase } = cols;
  const text = (i: number): string | null => (i < 0 ? null : texts[i]);
  const time = (t: number | string): string => (typeof t === 'number' ? msToIso(timeBase + t) : t);
  const out: CandidateSummary[] = [];
  for (let i = from; i < Math.min(to, cols.seq.length); i++) {
    const dice = cols.perLabelDice[i];
    let perLabelDice: Record<string, number> | null = null;
    if (dice) {
      perLabelDice = {};
      for (let l = 0; l < labels.length; l++)
        if (dice[l] !== null) perLabelDice[labels[l]] = dice[l] as number;
    }
    const ended = cols.endedAt[i];
    out.push({
      experimentId: cols.experimentId,
      seq: cols.seq[i],
      key: cols.key[i],
      spec: {
        n: cols.n[i],
        p: cols.p[i],
        sup: cols.sup[i] === 1,
        res: cols.res[i] === 1,
        block: { nodes: cols.nodes[i], ops: cols.ops[i] },
        extras: cols.extras[i],
      },
      status: texts[cols.status[i]] as CandidateStatus,
      reason: text(cols.reason[i]),
      f: cols.f[i],
      valDice: cols.valDice[i],
      perLabelDice,
      paramCount: cols.paramCount[i],
      estMemoryBytes: cols.estMemoryBytes[i],
      peakMemoryBytes: cols.peakMemoryBytes[i],
      device: text(cols.device[i]),
      startedAt: time(cols.startedAt[i]),
      endedAt: ended === null ? null : time(ended),
      diagnosis: text(cols.diagnosis[i]),
    });
  }
  return out;
}
