/**
 * After the search: the best candidates are tested on the held-out test cases, which no training or
 * validation has seen. Each case is preprocessed as in training (S³, or the native plan's grid) and segmented in a trainer process
 * of the engine that made the model (a Predictor, main/compute/predictVolumes.ts; this process never runs
 * a network); the class map is mapped back onto the image's original grid with its original label values,
 * written as NIfTI, and scored there against the original label file, so the Dice is the one a user would
 * measure on the exported files.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Predictor } from '../compute/predictVolumes';
import { type DiscoveredDataset, loadCase } from '../data/discover';
import { diceByLabelName } from '../data/labels';
import { modelPreprocessing, nativePrediction, prepareForModel } from '../data/modelInput';
import { writeNifti } from '../data/niftiWrite';
import { labelClasses } from '../data/preprocess';
import type { LabelDice } from '../store';
import { meanForegroundDice, perLabelDice } from '../train/metrics';
import { readModelJson } from '../train/modelJson';

export const modelFile = (modelDir: string) => join(modelDir, 'model.json');

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface CaseScore {
  caseId: string;
  perLabel: number[];
  predictionPath: string;
}

/** Cases per predict job: bounds the temporary files (4·S³ bytes each) whatever the split's size. */
const CHUNK = 8;

/**
 * Segments `caseIds` with the model in `modelDir` through `predictor`, writes each prediction as NIfTI
 * (`outPath(caseId)`) on the case's own grid, and scores it against the case's label.
 */
export async function predictCases(
  predictor: Predictor,
  modelDir: string,
  report: DiscoveredDataset,
  caseIds: readonly string[],
  outPath: (caseId: string) => string,
): Promise<CaseScore[]> {
  const mapping = report.labelMapping;
  const model = await readModelJson(modelDir);
  const K = mapping.values.length;
  if (model.network.classes !== K)
    throw new Error(
      `${modelFile(modelDir)}: the model has ${model.network.classes} classes but the dataset ${K}; was the dataset changed since the search?`,
    );
  const pre = modelPreprocessing(model.preprocessing, model.network.size, modelFile(modelDir));
  predictor.warm(modelDir);
  const work = await mkdtemp(join(tmpdir(), 'segnas-test-'));
  try {
    const scores: CaseScore[] = [];
    for (let at = 0; at < caseIds.length; at += CHUNK) {
      const ids = caseIds.slice(at, at + CHUNK);
      const cases = [];
      for (const [i, id] of ids.entries()) {
        const c = report.cases.find((k) => k.id === id);
        if (!c?.usable) throw new Error(`case ${id} is not a usable case of ${report.root}`);
        const { image, label } = await loadCase(c);
        const prepared = prepareForModel(image, pre);
        const f32 = join(work, `${i}.f32`);
        const data = prepared.image;
        await writeFile(f32, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        cases.push({ id, label, prepared, f32, u8: join(work, `${i}.u8`) });
      }
      await predictor.predict(
        modelDir,
        cases.map((c) => c.f32),
        cases.map((c) => c.u8),
        undefined,
        nativePrediction(
          pre,
          cases.map((c) => c.prepared),
        ),
      );
      for (const c of cases) {
        const classes = new Uint8Array(await readFile(c.u8));
        const predicted = c.prepared.toOriginal(classes, mapping);
        const path = outPath(c.id);
        await writeNifti(path, predicted);
        const perLabel = perLabelDice(labelClasses(predicted, mapping), labelClasses(c.label, mapping), K);
        scores.push({ caseId: c.id, perLabel, predictionPath: path });
      }
    }
    return scores;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface ModelTest {
  perLabelDice: LabelDice;
  meanDice: number;
  perSubject: Record<string, LabelDice>;
  predictions: string[];
}

/** Segments `caseIds` with the model in `modelDir` into `predictionsDir`, and averages their Dice per label. */
export async function testModel(
  predictor: Predictor,
  modelDir: string,
  report: DiscoveredDataset,
  caseIds: readonly string[],
  predictionsDir: string,
): Promise<ModelTest> {
  if (caseIds.length === 0) throw new Error('the split has no test cases to evaluate on');
  const K = report.labelMapping.values.length;
  const scores = await predictCases(predictor, modelDir, report, caseIds, (id) =>
    join(predictionsDir, `${id}.nii.gz`),
  );
  const sum = new Array<number>(K).fill(0);
  const perSubject: Record<string, LabelDice> = {};
  for (const score of scores) {
    score.perLabel.forEach((d, k) => {
      sum[k] += d;
    });
    perSubject[score.caseId] = diceByLabelName(score.perLabel, report.labelMapping);
  }
  const mean = sum.map((s) => s / caseIds.length);
  return {
    perLabelDice: diceByLabelName(mean, report.labelMapping),
    meanDice: meanForegroundDice(mean),
    perSubject,
    predictions: scores.map((s) => s.predictionPath),
  };
}

/** Mean and sample standard deviation (0 for one value), as in the paper's Table 3. */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}
