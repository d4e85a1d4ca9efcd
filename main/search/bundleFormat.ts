/**
 * The bundle file's identity, shared with the renderer (which recognizes a dropped bundle by it), and what
 * writing and importing one report (main/search/bundle.ts does both). No Node imports here.
 */
import { z } from 'zod';

export const BUNDLE_FORMAT = 'segnas-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
/** A bundle is a zip; this extension tells it from a dataset. */
export const BUNDLE_EXTENSION = '.segnas';

/** A bundle written: where, how large, and what it holds. */
export const bundleSummarySchema = z.object({
  file: z.string(),
  bytes: z.number(),
  candidates: z.number().int(),
  models: z.number().int(),
  predictions: z.number().int(),
});
export type BundleSummary = z.infer<typeof bundleSummarySchema>;

/** A bundle imported: the experiment it became in this workspace. */
export const importSummarySchema = z.object({
  experimentId: z.number().int(),
  name: z.string(),
  candidates: z.number().int(),
});
export type ImportSummary = z.infer<typeof importSummarySchema>;
