/**
 * A dataset folder of the first N cases of an MSD-layout dataset, as symlinks (the data is never
 * copied), so a small machine can run a benchmark on real data in minutes.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function datasetSubset(data: string, cases: number, into: string): string {
  const json = JSON.parse(readFileSync(join(data, 'dataset.json'), 'utf8'));
  const training = json.training.slice(0, cases) as { image: string; label: string }[];
  for (const t of training)
    for (const rel of [t.image, t.label]) {
      mkdirSync(join(into, rel, '..'), { recursive: true });
      symlinkSync(join(data, rel), join(into, rel));
    }
  writeFileSync(
    join(into, 'dataset.json'),
    JSON.stringify({ ...json, training, numTraining: training.length }),
  );
  return into;
}
