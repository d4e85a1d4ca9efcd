import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/data/hippocampus relative to the repository root; tests fail (not skip) when it is absent. */
export function hippocampusDir(): string {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/hippocampus');
  if (!existsSync(join(dir, 'dataset.json'))) {
    throw new Error(
      `hippocampus data not found: looked in ${dir} (expected ../shared/data/hippocampus from the repo root)`,
    );
  }
  return dir;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'segnas-data-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** ../shared/data/dicom-qa relative to the repository root; tests fail (not skip) when it is absent. */
export function dicomQaDir(): string {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/dicom-qa');
  if (!existsSync(join(dir, 'Ref'))) {
    throw new Error(
      `dicom-qa data not found: looked in ${dir} (expected ../shared/data/dicom-qa from the repo root)`,
    );
  }
  return dir;
}
