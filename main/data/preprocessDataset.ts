/** Preprocesses every usable case of a discovered dataset, one case in memory at a time. */
import { type DiscoveredDataset, loadCase } from './discover';
import { type PreprocessedCase, preprocessCase } from './preprocess';

export interface PreprocessedDatasetCase extends PreprocessedCase {
  id: string;
}

export async function* preprocessDataset(
  report: DiscoveredDataset,
  size: number,
  caseIds: readonly string[] = report.usableCaseIds,
): AsyncGenerator<PreprocessedDatasetCase> {
  const byId = new Map(report.cases.map((c) => [c.id, c]));
  for (const id of caseIds) {
    const c = byId.get(id);
    if (!c?.usable) throw new Error(`case ${id} is not a usable case of ${report.root}`);
    const { image, label } = await loadCase(c);
    yield { id, ...preprocessCase(image, label, { size, mapping: report.labelMapping }) };
  }
}
