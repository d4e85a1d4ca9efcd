/** A problem with one field of something the user entered, named so that the UI can show it inline. */
import { z } from 'zod';

export const validationIssueSchema = z.object({
  /** Dotted path of the offending field, e.g. "space.n", "space.ops[2]" or "training.epochs". */
  field: z.string(),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof validationIssueSchema>;
