/**
 * Never overwrite the user's files. Every file the app writes goes to a temporary name in the same
 * folder and is renamed into place when complete, so a crash mid-write leaves the old file (or none),
 * never a truncated one that looks whole. Outputs inside an input dataset are refused, and an
 * existing output is replaced only when the user said so (--force, or a confirmation in the UI).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

export class OutputRefusedError extends Error {
  override name = 'OutputRefusedError';
}

/** Writes `data` to `path` through a temporary file and a rename; the folder is created. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = partialName(path);
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

/** Temporary name beside `path`, for a write that is renamed into place when whole. */
export function partialName(path: string): string {
  return `${path}.${randomBytes(4).toString('hex')}.partial`;
}

/** What an output may not replace or lie in, and whether the user allowed replacing an existing one. */
export interface OutputRules {
  /** Replace an existing output (`--force`, or the UI's confirmation). */
  force?: boolean;
  /** Dataset folders, input files and models: the output may not be one or lie inside one. */
  inputs?: readonly string[];
  /** The workspace: its store (database and journals) and the folders the store points into are never outputs. */
  workspace?: string;
  /** How the output is named to the user, e.g. '--out'. */
  what?: string;
  /** What to do about an existing output. */
  how?: string;
}

/** The parts of a workspace no user-chosen output may touch. */
function storeParts(workspace: string): string[] {
  const db = join(workspace, 'segnas.sqlite');
  return [
    db,
    `${db}-wal`,
    `${db}-shm`,
    `${db}-journal`,
    join(workspace, 'experiments'),
    join(workspace, 'imported-datasets'),
    join(workspace, '.imports'),
  ];
}

function describeKind(st: { isDirectory(): boolean; isFile(): boolean }): string {
  return st.isDirectory() ? 'a folder' : 'a device, pipe or socket';
}

function refuseStoreParts(abs: string, rules: OutputRules, what: string): void {
  if (!rules.workspace) return;
  const target = statSync(abs, { throwIfNoEntry: false });
  for (const part of storeParts(resolve(rules.workspace))) {
    const st = statSync(part, { throwIfNoEntry: false });
    // A hard link or symlink to the store is the store.
    const same = target && st && target.ino === st.ino && target.dev === st.dev;
    if (same || isInside(abs, part))
      throw new OutputRefusedError(
        `${what} ${abs} is part of the workspace's experiment store (${part}); writing there would destroy it. Choose a file outside it, e.g. in ${join(resolve(rules.workspace), 'exports')}`,
      );
  }
}

/**
 * The one check before writing a user-chosen output file: not inside an input, not the workspace's
 * store, not a folder or device, and not an existing file unless `force`. Returns the absolute path;
 * write it with writeFileAtomic (or another temporary-name-then-rename writer).
 */
export async function claimOutputFile(path: string, rules: OutputRules = {}): Promise<string> {
  const abs = resolve(path);
  const what = rules.what ?? 'the output';
  refuseOutputInside(abs, rules.inputs ?? [], what);
  refuseStoreParts(abs, rules, what);
  const st = await stat(abs).catch(() => undefined);
  if (st && !rules.force)
    throw new OutputRefusedError(`${abs} already exists; ${rules.how ?? 'use --force to replace it'}`);
  if (st && !st.isFile())
    throw new OutputRefusedError(`${what} ${abs} is ${describeKind(st)}, not a file; give a file path`);
  return abs;
}

/**
 * The same for an output folder: it may exist, but if it holds anything it is filled only with
 * `force` (earlier results would be mixed with or replaced by new ones).
 */
export async function claimOutputFolder(path: string, rules: OutputRules = {}): Promise<string> {
  const abs = resolve(path);
  const what = rules.what ?? 'the output folder';
  refuseOutputInside(abs, rules.inputs ?? [], what);
  refuseStoreParts(abs, rules, what);
  const st = await stat(abs).catch(() => undefined);
  if (st && !st.isDirectory()) throw new OutputRefusedError(`${what} ${abs} exists and is not a folder`);
  if (st && !rules.force) {
    const held = await readdir(abs);
    if (held.length > 0)
      throw new OutputRefusedError(
        `${what} ${abs} already holds ${held.length} file(s) (e.g. ${held[0]}); ${rules.how ?? 'use --force to write into it anyway, or choose an empty folder'}`,
      );
  }
  return abs;
}
