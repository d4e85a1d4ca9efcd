/**
 * After the search: the best candidates are tested on the held-out test cases, which no training or
 * validation has seen. Prediction runs at S³ like training, is mapped back onto each image's original
 * grid with its original label values, written as NIfTI, and scored there against the original label
 * file, so the Dice is the one a user would measure on the exported files.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackendChoice, initBackend, parseBackendChoice } from '../compute/backend';
import { type DiscoveredDataset, loadCase } from '../data/discover';
import { diceByLabelName, type LabelMapping } from '../data/labels';
import { writeNifti } from '../data/niftiWrite';
import { invertToOriginal, labelClasses, preprocessCase } from '../data/preprocess';
import type { LabelDice } from '../store';
import { meanForegroundDice, perLabelDice } from '../train/metrics';
import { loadModel } from '../train/modelIO';
import { buildNetwork } from '../train/network';
import { predictClasses } from '../train/predict';
import type { SegNet } from '../train/segNet';

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

/** Segments one case with a loaded network, writes the NIfTI prediction, and scores it when the case has a label. */
export async function predictCase(
  net: SegNet,
  report: DiscoveredDataset,
  caseId: string,
  outPath: string,
): Promise<CaseScore> {
  const c = report.cases.find((k) => k.id === caseId);
  if (!c?.usable) throw new Error(`case ${caseId} is not a usable case of ${report.root}`);
  const mapping: LabelMapping = report.labelMapping;
  const { image, label } = await loadCase(c);
  const pre = preprocessCase(image, undefined, { size: net.options.size });
  const classes = await predictClasses(net, pre.image);
  const predicted = invertToOriginal(classes, pre.transform, mapping);
  await writeNifti(outPath, predicted);
  const perLabel = perLabelDice(
    labelClasses(predicted, mapping),
    labelClasses(label, mapping),
    mapping.values.length,
  );
  return { caseId, perLabel, predictionPath: outPath };
}

export interface ModelTest {
  perLabelDice: LabelDice;
  meanDice: number;
  perSubject: Record<string, LabelDice>;
  predictions: string[];
}

let backendReady: Promise<unknown> | undefined;

/** Predicts on the backend the experiment trained on (once per process), so test and search agree. */
function readyBackend(backend: string | undefined): Promise<unknown> {
  let choice: BackendChoice | undefined;
  try {
    choice = parseBackendChoice(backend, 'the experiment backend');
  } catch {
    choice = undefined;
  }
  backendReady ??= initBackend(choice);
  return backendReady;
}

/** Loads the model in `modelDir`, segments `caseIds` into `predictionsDir`, and averages their Dice per label. */
export async function testModel(
  modelDir: string,
  report: DiscoveredDataset,
  caseIds: readonly string[],
  predictionsDir: string,
  backend?: string,
): Promise<ModelTest> {
  if (caseIds.length === 0) throw new Error('the split has no test cases to evaluate on');
  await readyBackend(backend);
  const { net } = await loadModel(modelDir, buildNetwork);
  try {
    const K = report.labelMapping.values.length;
    if (net.options.classes !== K)
      throw new Error(
        `${modelFile(modelDir)}: the model has ${net.options.classes} classes but the dataset ${K}; was the dataset changed since the search?`,
      );
    const sum = new Array<number>(K).fill(0);
    const perSubject: Record<string, LabelDice> = {};
    const predictions: string[] = [];
    for (const id of caseIds) {
      const score = await predictCase(net, report, id, join(predictionsDir, `${id}.nii.gz`));
      score.perLabel.forEach((d, k) => {
        sum[k] += d;
      });
      perSubject[id] = diceByLabelName(score.perLabel, report.labelMapping);
      predictions.push(score.predictionPath);
    }
    const mean = sum.map((s) => s / caseIds.length);
    return {
      perLabelDice: diceByLabelName(mean, report.labelMapping),
      meanDice: meanForegroundDice(mean),
      perSubject,
      predictions,
    };
  } finally {
    net.dispose();
  }
}

/** Segments one case (for the viewer) with an exported model. */
export async function predictOne(
  modelDir: string,
  report: DiscoveredDataset,
  caseId: string,
  outPath: string,
  backend?: string,
): Promise<string> {
  await readyBackend(backend);
  const { net } = await loadModel(modelDir, buildNetwork);
  try {
    return (await predictCase(net, report, caseId, outPath)).predictionPath;
  } finally {
    net.dispose();
  }
}

/** Mean and sample standard deviation (0 for one value), as in the paper's Table 3. */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}
