/** Preprocessed phantom cases (main/data's generator and preprocessing) for training tests. */
import { buildLabelMapping } from '../../../main/data/labels';
import { generatePhantomCase, PHANTOM_LABELS } from '../../../main/data/phantom';
import { preprocessCase } from '../../../main/data/preprocess';
import { seededRng } from '../../../main/data/random';
import { makeVolume } from '../../../main/data/volume';
import { AUGMENT_DEFAULTS } from '../../../main/train/augment';
import { buildNetwork } from '../../../main/train/network';
import { type TrainVolume, trainCandidate } from '../../../main/train/trainer';

export const PHANTOM_MAPPING = buildLabelMapping(PHANTOM_LABELS, []);

export function phantomCases(count: number, size: number, seed = 1): (TrainVolume & { label: Uint8Array })[] {
  return Array.from({ length: count }, (_, i) => {
    const c = generatePhantomCase(size, seededRng(seed * 1000 + i));
    const image = makeVolume({ dims: c.dims, data: c.image, datatype: 'float32' });
    const label = makeVolume({ dims: c.dims, data: c.label, datatype: 'uint8' });
    const pre = preprocessCase(image, label, { size, mapping: PHANTOM_MAPPING });
    return { image: pre.image, label: pre.label as Uint8Array };
  });
}

/**
 * A small SegNAS11-style network with deep supervision and residuals, trained on phantom cases of side
 * `size` and kept (the caller disposes it): a real model to save, reload, export or predict with.
 */
export async function trainedPhantomNetwork(opts: {
  size: number;
  p: number;
  epochs: number;
  cases: TrainVolume[];
}) {
  const spec = {
    n: 4,
    p: opts.p,
    sup: true,
    res: true,
    block: { nodes: 3 as const, ops: [2, 6, 2] as (2 | 6)[] },
    extras: {},
  };
  const result = await trainCandidate({
    makeNet: () => buildNetwork(spec, { classes: 5, size: opts.size, inChannels: 1, dropout: 0.1, seed: 5 }),
    train: opts.cases,
    val: opts.cases,
    settings: { epochs: opts.epochs, batchSize: 1, learningRate: 0.01, augment: AUGMENT_DEFAULTS, seed: 1 },
    keepNetwork: true,
  });
  if (!result.net) throw new Error('no network kept');
  return { ...result, net: result.net, spec };
}
