/**
 * What a search tells its listeners (the UIs, the CLI's progress printer) while it runs, and what a
 * test evaluation produced. Events cross process boundaries (engine host → Electron main → renderer,
 * web server → browser), so they are zod schemas; the types derive from them.
 */
import { z } from 'zod';
import { stepProgressSchema } from '../core/progress';
import { architectureSpecSchema } from '../core/spec';
import {
  candidateSchema,
  epochRecordSchema,
  experimentSummarySchema,
  finalEpochSchema,
  finalTrainingSchema,
  labelDiceSchema,
} from '../store/types';

/** One tested candidate on one split's test cases. */
export const testResultSchema = z.object({
  seq: z.number(),
  split: z.number(),
  meanDice: z.number(),
  perLabelDice: labelDiceSchema,
});
export type TestResult = z.infer<typeof testResultSchema>;

/** What one "test the top K" run produced: each tested candidate on each split. */
export const testRunSchema = z.object({ experimentId: z.number(), results: z.array(testResultSchema) });
export type TestRun = z.infer<typeof testRunSchema>;

export const progressSchema = z.object({
  done: z.number(),
  total: z.number(),
  /** Seconds left, when enough candidates have run to say. */
  etaSeconds: z.number().optional(),
});
export type Progress = z.infer<typeof progressSchema>;

/** Files written by an export (models, predictions, report). */
export const exportResultSchema = z.object({ dir: z.string(), files: z.array(z.string()) });
export type ExportResult = z.infer<typeof exportResultSchema>;

const eid = { experimentId: z.number() };

export const searchEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('search-started'), ...eid, summary: experimentSummarySchema }),
  z.object({
    type: z.literal('candidate-started'),
    ...eid,
    seq: z.number(),
    x: z.array(z.number()),
    spec: architectureSpecSchema,
    /** Trainable parameters of the network (closed form, main/train/paramCount.ts); null when it cannot be built. */
    params: z.number().int().min(0).nullable(),
  }),
  z.object({ type: z.literal('epoch'), ...eid, seq: z.number(), point: epochRecordSchema }),
  /** Progress within the candidate's epoch, from its trainer's `step` reports (at most every 2 s). */
  z.object({ type: z.literal('step'), ...eid, seq: z.number(), progress: stepProgressSchema }),
  z.object({
    type: z.literal('candidate-finished'),
    ...eid,
    candidate: candidateSchema,
    progress: progressSchema,
  }),
  z.object({ type: z.literal('best-changed'), ...eid, seq: z.number(), valDice: z.number() }),
  z.object({ type: z.literal('search-paused'), ...eid }),
  z.object({ type: z.literal('search-resumed'), ...eid }),
  z.object({ type: z.literal('search-finished'), ...eid, status: z.enum(['finished', 'stopped']) }),
  z.object({ type: z.literal('search-failed'), ...eid, message: z.string() }),
  z.object({ type: z.literal('test-evaluated'), ...eid, result: testRunSchema }),
  // The final training of the winners (main/search/finalTraining.ts): progress counts final trainings,
  // the ETA comes from the epochs trained so far in this run.
  z.object({
    type: z.literal('final-started'),
    ...eid,
    seq: z.number(),
    epochs: z.number(),
    progress: progressSchema,
  }),
  z.object({
    type: z.literal('final-epoch'),
    ...eid,
    seq: z.number(),
    point: finalEpochSchema,
    progress: progressSchema,
  }),
  z.object({
    type: z.literal('final-finished'),
    ...eid,
    final: finalTrainingSchema,
    progress: progressSchema,
  }),
]);
export type SearchEvent = z.infer<typeof searchEventSchema>;
