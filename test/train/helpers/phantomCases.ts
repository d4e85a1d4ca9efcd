/** Preprocessed phantom cases (main/data's generator and preprocessing) for training tests. */
import { buildLabelMapping } from '../../../main/data/labels';
import { generatePhantomCase, PHANTOM_LABELS } from '../../../main/data/phantom';
import { preprocessCase } from '../../../main/data/preprocess';
import { seededRng } from '../../../main/data/random';
import { makeVolume } from '../../../main/data/volume';
import type { TrainVolume } from '../../../main/train/trainer';

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
