/**
 * What applying a model to new images reports, as schemas: the CLI prints it, the engine sends it to
 * the UI (no Node imports here, so the renderer may import it through main/api.ts).
 */
import { z } from 'zod';

export const applyItemSchema = z.object({
  /** Output file stem, unique in the batch. */
  id: z.string(),
  /** The file or DICOM folder the image came from. */
  source: z.string(),
  series: z.object({ number: z.number().nullable(), description: z.string() }).optional(),
  dims: z.tuple([z.number(), z.number(), z.number()]),
  spacing: z.tuple([z.number(), z.number(), z.number()]),
  /** The image as segmented (for DICOM input, its conversion, kept next to the segmentation). */
  imagePath: z.string(),
  /** Input channels of a multi-channel image (absent: one); the viewer can show each. */
  channels: z.number().int().min(2).optional(),
  /** Its channels' files (<name>_0000 … _000N) when split so; else `imagePath` is a 4-D image holding them. */
  channelFiles: z.array(z.string()).optional(),
  /** The segmentation, on the image's own grid with the model's original label values. */
  outPath: z.string(),
  /** Per structure (label name): voxels and millilitres in the written segmentation. */
  structures: z.array(z.object({ name: z.string(), value: z.number(), voxels: z.number(), ml: z.number() })),
  seconds: z.number(),
  /**
   * Why the image is unlike the model's training images (intensities, spacing), from the statistics
   * model.json records; absent when alike or when the model recorded none.
   */
  warnings: z.array(z.string()).optional(),
});
export type ApplyItem = z.infer<typeof applyItemSchema>;

/** The trainer process that ran the network: engine (name and version), device, process id. */
export const applyTrainerSchema = z.object({
  engine: z.string(),
  version: z.string(),
  device: z.string(),
  pid: z.number(),
});
export type ApplyTrainer = z.infer<typeof applyTrainerSchema>;

export const applyProgressSchema = z.object({
  phase: z.enum(['reading', 'segmenting', 'done']),
  done: z.number(),
  total: z.number(),
  /** Seconds left, once one image has been segmented. */
  etaSeconds: z.number().optional(),
  /** The image just finished. */
  item: applyItemSchema.optional(),
  /** Once the first images are segmented. */
  trainer: applyTrainerSchema.optional(),
});
export type ApplyProgress = z.infer<typeof applyProgressSchema>;

export const applyResultSchema = z.object({
  modelDir: z.string(),
  outDir: z.string(),
  items: z.array(applyItemSchema),
  seconds: z.number(),
  /** The summary table written next to the segmentations (not for a single output file). */
  summaryPath: z.string().optional(),
  /** Absent when there was no image to segment. */
  trainer: applyTrainerSchema.optional(),
  /** Native-protocol models: how the sliding window ran. */
  slidingWindow: z.object({ mirror: z.boolean() }).optional(),
});
export type ApplyResult = z.infer<typeof applyResultSchema>;

/** One apply run as the UI polls it. */
export const applyStatusSchema = z.object({
  runId: z.number(),
  modelDir: z.string(),
  outDir: z.string(),
  progress: applyProgressSchema,
  items: z.array(applyItemSchema),
  finished: z.boolean(),
  /** Why the run stopped early, in words. */
  error: z.string().optional(),
  summaryPath: z.string().optional(),
  /** The label values and names the model writes (background included), once model.json is read. */
  labels: z.array(z.object({ value: z.number(), name: z.string() })).optional(),
});
export type ApplyStatus = z.infer<typeof applyStatusSchema>;
