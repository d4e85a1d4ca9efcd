/**
 * What the training engines report of themselves, as schemas: every engine and device found (`segnas
 * devices`, the UI's "Check") and what `--engine auto` picks. No Node imports here, so the renderer may
 * import it through main/api.ts; main/compute/engineCheck.ts gathers the reports.
 */
import { z } from 'zod';

/** The two training engines: TensorFlow.js (embedded) and PyTorch (the user's Python). */
export const engineNameSchema = z.enum(['tfjs', 'pytorch']);
export type EngineName = z.infer<typeof engineNameSchema>;

export const deviceReportSchema = z.object({
  engine: engineNameSchema,
  /** e.g. "torch 2.5.1 (Python 3.12.3, /usr/bin/python3)" or "tfjs 4.22.0". */
  version: z.string().optional(),
  /** 'cuda' | 'mps' | 'cpu' for PyTorch, a backend name for TensorFlow.js. */
  kind: z.string(),
  name: z.string().optional(),
  totalBytes: z.number().nullable().optional(),
  freeBytes: z.number().nullable().optional(),
  computeCapability: z.string().nullable().optional(),
  usable: z.boolean(),
  /** Why it is not usable, and the one command that fixes it. */
  problem: z.string().optional(),
  fix: z.string().optional(),
});
export type DeviceReport = z.infer<typeof deviceReportSchema>;

export const engineCheckSchema = z.object({
  devices: z.array(deviceReportSchema),
  auto: z.object({
    engine: engineNameSchema,
    device: z.string().optional(),
    python: z.string().optional(),
    why: z.string(),
  }),
});
export type EngineCheck = z.infer<typeof engineCheckSchema>;
