/**
 * What defines a search, as the user sets it. The CLI, web mode and Electron all start searches with
 * this one shape (main/search/searchRunner.ts `start`), which validates it field by field
 * (main/search/configValidation.ts). The schema checks the shape only; ranges are explained there.
 */
import { z } from 'zod';
import { backendNameSchema } from './backends';
import { protocolSchema } from './datasetPlan';
import { searchBoundsSchema } from './searchBounds';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** Paths are strings the engine resolves itself; NUL bytes are never legitimate. */
export const pathStringSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

export const trainingSettingsSchema = z
  .object({
    /** Cube side S the images are resized to. */
    size: z.number().int(),
    epochs: z.number().int(),
    batch: z.number().int(),
    learningRate: finite,
    augmentation: z.boolean(),
  })
  .strict();
export type TrainingSettings = z.infer<typeof trainingSettingsSchema>;

/** The backend a search asks for; 'auto' lets each trainer pick the best it can start. */
export const backendRequestSchema = z.union([backendNameSchema, z.literal('auto')]);
export type BackendRequest = z.infer<typeof backendRequestSchema>;

/** The training engines (docs/engines.md): TensorFlow.js (embedded) and PyTorch (the user's Python). */
export const ENGINE_CHOICES = ['auto', 'pytorch', 'tfjs'] as const;
export const TORCH_DEVICES = ['cuda', 'mps', 'cpu'] as const;
export type TorchDevice = (typeof TORCH_DEVICES)[number];

/**
 * Which engine trains the candidates. The interpreter is not part of it: it comes from the engine
 * process's own settings (`--python`, $SEGNAS_PYTHON), never from a request, so that a web client
 * cannot make the engine run a program of its choice.
 */
export const engineRequestSchema = z
  .object({
    /** auto = PyTorch when torch imports and sees a CUDA or MPS device, else TensorFlow.js. */
    engine: z.enum(ENGINE_CHOICES),
    /** PyTorch device; default the best torch sees (cuda, then mps, then cpu). */
    device: z.enum(TORCH_DEVICES).optional(),
    /** Concurrent candidates per GPU (PyTorch, cuda). */
    perGpu: z.number().int().min(1).max(64).optional(),
    /** Default the engine's: bf16 where the GPU has it, else fp16; fp32 on CPU. */
    precision: z.enum(['fp32', 'bf16', 'fp16']).optional(),
  })
  .strict();
export type EngineRequest = z.infer<typeof engineRequestSchema>;

/** A word that goes into a job script or a command line as it is: no spaces, quotes or shell syntax. */
const slurmWord = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.,:=+@%/-]+$/, 'only letters, digits and _ . , : = + @ % / - are allowed');

/**
 * Where a search trains its candidates when not on this machine: a Slurm cluster, one batch job per
 * candidate (main/compute/slurmExecutor.ts, docs/cluster.md). Stored with the experiment, so that a
 * resume submits to the same place with the same settings.
 */
export const clusterSettingsSchema = z
  .object({
    executor: z.literal('slurm'),
    partition: slurmWord.optional(),
    account: slurmWord.optional(),
    qos: slurmWord.optional(),
    /** Generic resources per job, e.g. "gpu:1" or "gpu:a100:1". */
    gres: slurmWord.optional(),
    gpusPerTask: z.number().int().min(1).max(64).optional(),
    cpus: z.number().int().min(1).max(1024).optional(),
    /** Memory per job in sbatch's notation, e.g. "16G" or "8000M". */
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/, 'a number with an optional K, M, G or T, e.g. 16G')
      .optional(),
    /** Time limit per job in sbatch's notation, e.g. "2:00:00" or "1-00:00:00". */
    time: z
      .string()
      .regex(/^(\d+-)?\d+(:\d{1,2}){0,2}$/, 'minutes, H:MM:SS or D-HH:MM:SS, e.g. 2:00:00')
      .optional(),
    /** Jobs queued or running at once (the search's concurrency). */
    maxJobs: z.number().int().min(1).max(1000),
    /** Extra lines for the job script, each an sbatch option such as "--constraint=a100". */
    sbatchLines: z
      .array(
        z
          .string()
          .max(500)
          .regex(/^--?[A-Za-z][^\n\r]*$/, 'an sbatch option starting with -- (one line)'),
      )
      .max(50)
      .optional(),
    /** A shell file on the shared filesystem that the job sources before the trainer starts (modules, venv). */
    setupScript: z
      .string()
      .min(1)
      .max(4096)
      .regex(/^\/[^\n\r'"`$]*$/, 'an absolute path without quotes')
      .optional(),
    /** Submit through this login node ("user@host" or a Host of ~/.ssh/config); absent: this machine. */
    ssh: slurmWord.refine((s) => !s.startsWith('-'), 'must not start with -').optional(),
    /** Resubmissions of a candidate whose job was preempted, timed out, lost its node or went silent. */
    requeueLimit: z.number().int().min(0).max(20).optional(),
    /** Seconds without a line from a running job's trainer before it is cancelled and resubmitted. */
    heartbeatGraceS: z.number().int().min(5).max(86_400).optional(),
  })
  .strict();
export type ClusterSettings = z.infer<typeof clusterSettingsSchema>;
/**
 * Early stopping across candidates (multi-fidelity, main/nas/pruning.ts). `off` is the paper's
 * protocol: every candidate trains for the full budget.
 */
export const PRUNE_RULES = ['off', 'asha', 'median'] as const;
export type PruneRuleName = (typeof PRUNE_RULES)[number];

export const pruneSettingsSchema = z
  .object({
    rule: z.enum(PRUNE_RULES),
    /** ASHA: reduction factor η; a candidate goes on at a rung when in the top 1/η there. */
    eta: z.number().int(),
    /** ASHA: the first rung, in epochs; the rungs are minEpochs·η^k below the full budget. */
    minEpochs: z.number().int(),
    /** Median: epochs every candidate trains before it can be stopped. */
    warmupEpochs: z.number().int(),
    /** Median: earlier candidates that must have reached an epoch before it is compared there. */
    minCandidates: z.number().int(),
  })
  .strict();
export type PruneSettings = z.infer<typeof pruneSettingsSchema>;

export const searchConfigSchema = z
  .object({
    datasetPath: pathStringSchema,
    /** A preset id, or 'custom' when the bounds were edited. */
    variant: z.string().min(1).max(64),
    space: searchBoundsSchema,
    training: trainingSettingsSchema,
    /** Seeds the split, the optimizer and the training. */
    seed: z.number().int(),
    /** CRS2-LM budget, cached and illegal evaluations included. */
    evaluations: z.number().int(),
    backend: backendRequestSchema,
    /** Absent: TensorFlow.js on `backend`. */
    engine: engineRequestSchema.optional(),
    /**
     * Candidates whose estimated memory exceeds this are recorded as OOM without training. Absent: the
     * device's budget (main/core/memoryBudget.ts: a GPU's free memory less a margin, per trainer sharing it;
     * half the RAM on a CPU), resolved when the search starts.
     */
    memoryBudgetMB: finite.optional(),
    name: z.string().max(200).optional(),
    /** Candidates tested on the test split after the search; 0 skips the test. */
    topK: z.number().int().optional(),
    /** Number of seeded splits; the search runs on split 0, the best networks are retested on all. */
    splits: z.number().int().optional(),
    /**
     * Epochs of the final training: after the search the topK architectures are retrained from scratch on
     * train + validation with polynomial learning-rate decay, then tested. Absent or 0: no final training.
     */
    finalEpochs: z.number().int().optional(),
    /** CRS population size; default 10·(searched hyperparameters + 1) (paper, NLopt). */
    populationSize: z.number().int().optional(),
    /** Spatial-dropout rate of each MegaBlock. */
    dropout: finite.optional(),
    /**
     * Wall-clock hours each run of the search (the start, and each resume) may take; when spent, the
     * search stops cleanly after the candidates in training and can be resumed. Absent: no limit.
     */
    budgetHours: finite.optional(),
    /** Absent: the candidates train on this machine's devices. */
    cluster: clusterSettingsSchema.optional(),
    /** Early stopping across candidates; absent: off. */
    prune: pruneSettingsSchema.optional(),
    /** How images reach the network (docs/protocols.md); absent: 'paper'. */
    protocol: protocolSchema.optional(),
    /** Native protocol: the training patch (x, y, z voxels), overriding the plan's. */
    patch: z.tuple([z.number().int(), z.number().int(), z.number().int()]).optional(),
  })
  .strict();
export type SearchConfig = z.infer<typeof searchConfigSchema>;

/**
 * The defaults every door shows and uses: the setup page, `segnas search` and its --help, the docs.
 * CPU-sized (32³, 10 epochs) rather than the paper's 128³ × 100 epochs; the space is the variant's preset.
 */
export const DEFAULT_SEARCH_CONFIG = {
  variant: 'segnas4',
  training: { size: 32, epochs: 10, batch: 1, learningRate: 1e-3, augmentation: true },
  seed: 1,
  evaluations: 300,
  backend: 'auto',
  topK: 3,
  splits: 1,
  dropout: 0.1,
  // Off: the paper's protocol. The ASHA and median parameters are the recommended ones (docs/search.md).
  prune: { rule: 'off', eta: 2, minEpochs: 2, warmupEpochs: 2, minCandidates: 3 },
} as const satisfies Omit<SearchConfig, 'datasetPath' | 'space'>;
