/**
 * Bounds of a search space (paper Table 2): each hyperparameter fixed or searched in the half-open
 * interval [lo, hi). Presets (assets/presets), the UI, the CLI and the store keep them as this JSON;
 * main/nas/searchSpace.ts checks the ranges and decodes points.
 */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** Half-open [lo, hi): for integer hyperparameters the values lo, …, hi−1. */
export const rangeBoundSchema = z.object({ lo: finite, hi: finite }).strict();
export const fixedBoundSchema = z.object({ fixed: finite }).strict();
export const integerBoundSchema = z.union([fixedBoundSchema, rangeBoundSchema]);
/** A continuous extra (e.g. learning rate); 'log' searches log10 of the value, uniformly. */
export const continuousBoundSchema = z.union([
  fixedBoundSchema,
  z.object({ lo: finite, hi: finite, scale: z.enum(['linear', 'log']).optional() }).strict(),
]);

export const searchBoundsSchema = z
  .object({
    /** Channels of the first MegaBlock. */
    n: integerBoundSchema,
    /** Number of max-poolings. */
    p: integerBoundSchema,
    /** Deep supervision, 0/1. */
    sup: integerBoundSchema,
    /** Residual connection around each block, 0/1. */
    res: integerBoundSchema,
    /** Nodes per block, 2..4. */
    nodes: integerBoundSchema,
    /** Block ops in matrix column order (0,1), (0,2), (1,2), (0,3), (1,3), (2,3); each within 0..6. */
    ops: z.array(integerBoundSchema).max(6),
    /** Continuous extras by name, not floored (e.g. learningRate). */
    extras: z.record(z.string().max(64), continuousBoundSchema).optional(),
  })
  .strict();

export type RangeBound = z.infer<typeof rangeBoundSchema>;
export type FixedBound = z.infer<typeof fixedBoundSchema>;
export type IntegerBound = z.infer<typeof integerBoundSchema>;
export type ContinuousBound = z.infer<typeof continuousBoundSchema>;
/** Any one bound, as the bounds editor shows it. */
export type Bound = IntegerBound | ContinuousBound;
export type SearchBounds = z.infer<typeof searchBoundsSchema>;

/** The integer hyperparameters that shape the network, in the order tables show them. */
export const NETWORK_HYPERPARAMETERS = ['n', 'p', 'sup', 'res', 'nodes'] as const;
