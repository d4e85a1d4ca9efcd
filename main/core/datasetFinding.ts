/**
 * What a researcher should look at in a dataset beyond per-file problems (main/data/findings.ts finds
 * them): the shape the data report, `segnas inspect` and the contract share.
 */
import { z } from 'zod';

export const problemSeveritySchema = z.enum(['error', 'warning']);
export type ProblemSeverity = z.infer<typeof problemSeveritySchema>;

export const datasetFindingSchema = z.object({
  /** 'intensity-outlier' | 'spacing-outlier' | 'datatype-mix', or the code of a repeated problem. */
  kind: z.string(),
  severity: problemSeveritySchema,
  /** One line a researcher reads: what, how many, and the likely cause. */
  message: z.string(),
  /** Cases or files (relative to the dataset root) concerned. */
  items: z.array(z.string()),
});
export type DatasetFinding = z.infer<typeof datasetFindingSchema>;
