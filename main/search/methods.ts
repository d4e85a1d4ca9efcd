/**
 * A Methods paragraph written from what an experiment recorded (search space and bounds, optimizer and
 * budget, training protocol, preprocessing, splits, hardware, engine and versions, wall time), with the
 * references to cite, so that a researcher can paste it into a paper. Pure: it formats recorded facts
 * and states nothing the store does not hold.
 */
import { type DatasetPlan, datasetPlanSchema } from '../core/datasetPlan';
import type { SearchBounds } from '../core/searchBounds';
import type { Candidate, Experiment, TestEvaluation } from '../store';

/**
 * The reference the paragraph cites as [1], as the publisher lists the chapter (authors, title, book,
 * series volume and DOI; no page range, which we could not confirm). The optimizer is cited through
 * it: the method's text names CRS but its own reference list is not part of what the app follows.
 */
export const METHOD_CITATION =
  'Wong, K.C.L., Moradi, M.: SegNAS3D: Network Architecture Search with Derivative-Free Global Optimization for 3D Image Segmentation. In: Medical Image Computing and Computer Assisted Intervention – MICCAI 2019. LNCS, vol. 11766. Springer, Cham (2019). https://doi.org/10.1007/978-3-030-32248-9_44';

type Bound = { lo: number; hi: number; scale?: string } | { fixed: number };

function bound(name: string, b: Bound): string {
  if ('fixed' in b) return `${name} = ${b.fixed}`;
  return `${name} ∈ [${b.lo}, ${b.hi})${b.scale === 'log' ? ' (log scale)' : ''}`;
}

/** Number of hyperparameters the optimizer moves (bounds that are not fixed). */
export function searchedCount(space: SearchBounds): number {
  const all: Bound[] = [
    space.n,
    space.p,
    space.sup,
    space.res,
    space.nodes,
    ...space.ops,
    ...Object.values(space.extras ?? {}),
  ];
  return all.filter((b) => !('fixed' in b)).length;
}

function spaceText(space: SearchBounds): string {
  const ops = space.ops;
  const sameOps = ops.length > 0 && ops.every((o) => JSON.stringify(o) === JSON.stringify(ops[0]));
  const opsText = sameOps
    ? bound(ops.length === 1 ? 'block operation' : `each of the ${ops.length} block operations`, ops[0])
    : `block operations ${ops.map((o, i) => bound(`o${i}`, o)).join(', ')}`;
  const extras = Object.entries(space.extras ?? {}).map(([k, b]) => bound(k, b));
  return [
    bound('initial channels n', space.n),
    bound('poolings p', space.p),
    bound('deep supervision', space.sup),
    bound('residual connections', space.res),
    bound('block nodes', space.nodes),
    opsText,
    ...extras,
  ].join('; ');
}

function hours(seconds: number): string {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The native protocol's preprocessing and inference, as a methods section states them (docs/protocols.md). */
function nativeSentence(plan: DatasetPlan): string {
  const mm = plan.targetSpacing.map((v) => +v.toFixed(3)).join(' × ');
  const ct = plan.intensity.some((i) => i.scheme === 'ct');
  return `Following nnU-Net's planning rules, images were resampled to the dataset's median voxel spacing (${mm} mm; on an axis at least three times coarser than the finest, its 10th percentile), labels by nearest neighbour, and intensity-normalized per channel (${
    ct
      ? 'CT channels clipped to the foreground 0.5th–99.5th percentiles of the training cases and z-scored with their foreground statistics; other channels z-scored per image'
      : 'z-scored per image after clipping to its 0.5th–99.5th percentiles'
  }). Networks were trained on random patches of ${plan.patchSize.join(' × ')} voxels (median image ${plan.medianShape.join(' × ')} voxels), batch ${plan.batch}, a third of each batch centred on a foreground voxel; validation and test images were segmented whole by Gaussian-weighted sliding window with 50 % overlap, and predictions were mapped back onto each image's original grid and label values before scoring.`;
}

/** Wall time from the first candidate's start to the last one's end. */
export function wallSeconds(candidates: readonly Candidate[]): number {
  const starts = candidates.map((c) => Date.parse(c.startedAt)).filter(Number.isFinite);
  const ends = candidates
    .map((c) => (c.endedAt ? Date.parse(c.endedAt) : Number.NaN))
    .filter(Number.isFinite);
  if (starts.length === 0 || ends.length === 0) return 0;
  return Math.max(0, (Math.max(...ends) - Math.min(...starts)) / 1000);
}

const dice = (v: number) => v.toFixed(3);

export function methodsParagraph(
  experiment: Omit<Experiment, 'owner' | 'heartbeatAt'>,
  candidates: readonly Candidate[],
  tests: readonly TestEvaluation[],
): string {
  const c = experiment.config;
  const t = c.training as Record<string, unknown>;
  const extra = (c.extra ?? {}) as Record<string, unknown>;
  const nh = searchedCount(c.space);
  const population = typeof extra.populationSize === 'number' ? extra.populationSize : 10 * (nh + 1);
  const split = experiment.splits[0];
  const counts = new Map<string, number>();
  for (const k of candidates) counts.set(k.status, (counts.get(k.status) ?? 0) + 1);
  const trained = counts.get('trained') ?? 0;
  const best = experiment.best;
  const bestCandidate = best ? candidates.find((k) => k.seq === best.seq) : undefined;
  const size = Number(t.size);
  const parsedPlan = t.protocol === 'native' ? datasetPlanSchema.safeParse(t.datasetPlan) : undefined;
  const plan = parsedPlan?.success ? parsedPlan.data : undefined;
  const sentences = [
    `Network architectures were searched with SegNAS3D [1] as implemented in SegNAS Studio ${experiment.softwareVersion}.`,
    `The search space (${c.variant}) was: ${spaceText(c.space)}; bounds are half-open and each network is built from the floor of the continuous point.`,
    `The objective, −ln of the mean foreground validation Dice (clipped at 1e−4; illegal blocks and networks exceeding the memory budget${
      typeof extra.memoryBudgetMB === 'number' ? ` of ${extra.memoryBudgetMB} MB` : ''
    } scored 10 without training), was minimized by controlled random search (CRS) as in [1], in its variant with local mutation (CRS2-LM), with a population of ${population} over ${nh} searched hyperparameters and a budget of ${c.budget.evaluations} evaluations (seed ${experiment.seeds.search}); repeated architectures reused their stored result.`,
    `Each candidate was trained from scratch for ${t.epochs} epochs with batch size ${t.batch}, Nadam (learning rate ${t.learningRate}), the exponential logarithmic loss (γ = 0.3, w_dice = 0.8, w_cross = 0.2)${
      typeof t.dropout === 'number' ? `, spatial dropout ${t.dropout}` : ''
    }${
      t.augmentation
        ? ', and augmentation applied to each image with probability 0.8 (rotation about the axial axis ±30°, shift ±20%, scaling 0.8–1.2)'
        : ' and no augmentation'
    }.`,
    pruningSentence(extra.prune),
    plan
      ? nativeSentence(plan)
      : `Images were resampled to isotropic spacing at their smallest voxel size, zero-padded to a cube, resized to ${size}×${size}×${size} voxels and intensity-normalized per image (clipped to the 0.5th–99.5th percentiles, then z-scored); predictions were mapped back onto each image's original grid and label values before scoring.`,
    `Each kept network is provided as an ONNX model (opset 13; input the preprocessed image [N, C, D, H, W], output the softmax probabilities [N, K, D, H, W]) with a file stating this preprocessing and the label value of each output class (preprocessing.json).`,
    split
      ? `The ${split.train.length + split.validation.length + split.test.length} subjects were split at random (seed ${experiment.seeds.split}) into ${split.train.length} training, ${split.validation.length} validation and ${split.test.length} test subjects${
          experiment.splits.length > 1 ? `, with ${experiment.splits.length} such splits` : ''
        }; test subjects were never used during the search.`
      : '',
    `The search ran on ${experiment.device} with the ${experiment.backend} engine and took ${hours(
      wallSeconds(candidates),
    )} of wall time for ${candidates.length} evaluations (${trained} trained${
      (counts.get('cached') ?? 0) > 0 ? `, ${counts.get('cached')} cached` : ''
    }${(counts.get('illegal') ?? 0) > 0 ? `, ${counts.get('illegal')} illegal` : ''}${
      (counts.get('oom') ?? 0) > 0 ? `, ${counts.get('oom')} over the memory budget` : ''
    }${(counts.get('failed') ?? 0) > 0 ? `, ${counts.get('failed')} failed` : ''}${
      (counts.get('pruned') ?? 0) > 0 ? `, ${counts.get('pruned')} stopped early` : ''
    }).`,
    best && bestCandidate
      ? `The best architecture (n = ${bestCandidate.spec.n}, p = ${bestCandidate.spec.p}, a ${bestCandidate.spec.block.nodes}-node block${
          bestCandidate.paramCount ? `, ${bestCandidate.paramCount.toLocaleString('en-US')} parameters` : ''
        }) reached a validation Dice of ${best.valDice === null ? '–' : dice(best.valDice)}.`
      : '',
    ...testSentence(tests, best?.seq),
  ];
  return sentences.filter(Boolean).join(' ');
}

/** How candidates were stopped early, when the search pruned (main/nas/pruning.ts). */
function pruningSentence(prune: unknown): string {
  const p = prune as {
    rule?: string;
    eta?: number;
    minEpochs?: number;
    warmupEpochs?: number;
    minCandidates?: number;
  };
  if (p?.rule === 'asha')
    return `Poor candidates were stopped early by asynchronous successive halving (η = ${p.eta}, rungs at ${p.minEpochs}·η^k epochs; a candidate continued at a rung only when its best validation Dice so far was in the top 1/η of the candidates that had reached it); a stopped candidate was scored by its best Dice so far and could not be selected as the best.`;
  if (p?.rule === 'median')
    return `Poor candidates were stopped early by the median stopping rule (from epoch ${p.warmupEpochs}, when the best validation Dice so far was below the median of at least ${p.minCandidates} earlier candidates at the same epoch); a stopped candidate was scored by its best Dice so far and could not be selected as the best.`;
  return '';
}

function testSentence(tests: readonly TestEvaluation[], bestSeq: number | undefined): string[] {
  const ofBest = tests.filter((t) => t.seq === bestSeq);
  if (ofBest.length === 0) return [];
  const values = ofBest.map((t) => t.meanDice);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return [`On the test subjects it reached a mean Dice of ${dice(mean)}.`];
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return [
    `On the test subjects of ${values.length} splits it reached a Dice of ${dice(mean)} ± ${dice(std)}.`,
  ];
}

/** The Methods section of summary.md: the paragraph and its references. */
export function methodsSection(paragraph: string): string {
  return ['## Methods (ready to paste)', '', paragraph, '', `[1] ${METHOD_CITATION}`, ''].join('\n');
}
