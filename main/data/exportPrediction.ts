/** Writes an S³ class map (a prediction) as NIfTI on the original image grid with original label values. */
import type { LabelMapping } from './labels';
import { writeNifti } from './niftiWrite';
import { invertToOriginal, type PreprocessTransform } from './preprocess';

export async function exportPrediction(
  path: string,
  labelS3: ArrayLike<number>,
  transform: PreprocessTransform,
  mapping: LabelMapping | undefined = transform.labels,
): Promise<void> {
  await writeNifti(path, invertToOriginal(labelS3, transform, mapping));
}
