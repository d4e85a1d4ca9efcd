/** The TensorFlow.js backends a trainer can run on, best first (see main/compute/backend.ts). */
import { z } from 'zod';

export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export const backendNameSchema = z.enum(BACKEND_NAMES);
export type BackendName = z.infer<typeof backendNameSchema>;

/** A TensorFlow.js backend as the app reports it: its name and the device it runs on. */
export const backendInfoSchema = z.object({
  name: backendNameSchema,
  /** Human-readable device, e.g. "CPU (WebAssembly)". */
  device: z.string(),
});
export type BackendInfo = z.infer<typeof backendInfoSchema>;
