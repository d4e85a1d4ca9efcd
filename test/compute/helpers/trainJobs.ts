/**
 * The small training job the trainer tests hand their trainers: a tiny network on phantom volumes,
 * seeded, without augmentation unless a test asks for it. A test names only what it is about.
 */
import type { TrainJob } from '../../../main/compute/protocol';
import type { ArchitectureSpec } from '../../../main/core/spec';
import type { AugmentConfig } from '../../../main/train/augment';

/** Two cascaded Conv(3,1) at n = 4 on one level: a few seconds an epoch at S = 16. */
const TINY_SPEC: ArchitectureSpec = {
  n: 4,
  p: 1,
  sup: false,
  res: false,
  block: { nodes: 3, ops: [2, 0, 2] },
  extras: {},
};
const NO_AUGMENTATION: AugmentConfig = {
  probability: 0,
  rotationDeg: 30,
  shiftFraction: 0.2,
  scaleRange: [0.8, 1.2],
};

export function tinyTrainJob(
  id: string,
  options: {
    size: number;
    data: TrainJob['data'];
    epochs?: number;
    spec?: ArchitectureSpec;
    augment?: AugmentConfig;
    /** Any other field of the network or the training, as the test's subject needs it. */
    network?: Partial<TrainJob['network']>;
    training?: Partial<TrainJob['training']>;
  } & Partial<Pick<TrainJob, 'exportDir' | 'exportMeta' | 'native'>>,
): TrainJob {
  const { size, data, epochs, spec, augment, network, training, ...rest } = options;
  return {
    id,
    spec: spec ?? TINY_SPEC,
    network: { classes: 5, size, inChannels: 1, dropout: 0, seed: 1, ...network },
    training: {
      epochs: epochs ?? 1,
      batchSize: 1,
      learningRate: 0.01,
      augment: augment ?? NO_AUGMENTATION,
      seed: 2,
      ...training,
    },
    data,
    ...rest,
  };
}
