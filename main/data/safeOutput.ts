/**
 * Never overwrite the user's files. Every file the app writes goes to a temporary name in the same
 * folder and is renamed into place when complete, so a crash mid-write leaves the old file (or none),
 * never a truncated one that looks whole. Outputs inside an input dataset are refused, and an
 * existing output is replaced only when the user said so (--force, or a confirmation in the UI).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

export class OutputRefusedError extends Error {
  override name = 'OutputRefusedError';
}

/** Writes `data` to `path` through a temporary file and a rename; the folder is created. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.partial`;
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    // On disk before the rename, so that the renamed file is whole even after a power cut.
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (outputs may not exist yet). */
function realish(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return abs;
      tail.push(head.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      head = parent;
    }
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = relative(realish(parent), realish(child));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/** Refuses an output path that is, or lies inside, one of the inputs (a dataset folder, an input file). */
export function refuseOutputInside(output: string, inputs: readonly string[], what = 'the output'): void {
  for (const input of inputs)
    if (isInside(output, input))
      throw new OutputRefusedError(
        `${what} ${resolve(output)} is inside the input ${resolve(input)}; choose a folder outside it, so the originals stay untouched`,
      );
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Refuses to replace an existing file unless `force`. */
export async function refuseExisting(
  path: string,
  force: boolean,
  how = 'use --force to replace it',
): Promise<void> {
  if (!force && (await exists(path))) throw new OutputRefusedError(`${resolve(path)} already exists; ${how}`);
}
