/**
 * Files dropped into the browser are uploaded one by one into a per-session folder of the workspace,
 * keeping their relative paths so that dataset layouts (imagesTr/, labelsTr/) survive the trip.
 *
 * Each file is received under a temporary name and renamed into place when complete, so an aborted
 * upload never leaves a partial file that looks whole. A session holds at most MAX_SESSION_FILES files
 * and MAX_SESSION_BYTES bytes; leftovers of aborted uploads are removed when the server starts.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A dropped file larger than this is refused (the largest public MR volumes are well below). */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
/** Files in one upload session (one dropped folder); MSD's largest task has a few thousand. */
export const MAX_SESSION_FILES = 10_000;
/** Bytes in one upload session. */
export const MAX_SESSION_BYTES = 64 * 1024 ** 3;
/** Suffix of a file still being received. */
export const PARTIAL_SUFFIX = '.segnas-partial';

const SESSION = /^[A-Za-z0-9_-]{8,64}$/;

export class UploadError extends Error {}

export function uploadsRoot(workspace: string): string {
  return join(resolve(workspace), 'uploads');
}

export function uploadSessionDir(workspace: string, session: string): string {
  if (!SESSION.test(session))
    throw new UploadError('upload session must be 8–64 letters, digits, "-" or "_"');
  return join(uploadsRoot(workspace), session);
}

/** The safe absolute destination of a relative path inside the session folder; refuses escapes. */
export function uploadTarget(sessionDir: string, relativePath: string): string {
  const parts = relativePath.split(/[\\/]+/).filter((p) => p.length > 0);
  if (parts.length === 0 || parts.length > 16) throw new UploadError(`bad upload path "${relativePath}"`);
  for (const p of parts)
    if (
      p === '.' ||
      p === '..' ||
      p.includes('\0') ||
      p.length > 255 ||
      /^[A-Za-z]:$/.test(p) ||
      p.endsWith(PARTIAL_SUFFIX)
    )
      throw new UploadError(
        `bad upload path "${relativePath}": each part must be a plain file or folder name`,
      );
  const target = resolve(sessionDir, ...parts);
  if (!target.startsWith(sessionDir + sep)) throw new UploadError(`bad upload path "${relativePath}"`);
  return target;
}

/** Per-session running totals, so limits hold across the many requests of one drop. */
export class UploadQuota {
  private readonly sessions = new Map<string, { files: number; bytes: number }>();

  constructor(
    readonly maxFiles = MAX_SESSION_FILES,
    readonly maxBytes = MAX_SESSION_BYTES,
  ) {}

  /** Reserves one file of (up to) `bytes`; throws UploadError past a limit. */
  reserve(sessionDir: string, bytes: number): void {
    const s = this.sessions.get(sessionDir) ?? { files: 0, bytes: 0 };
    if (s.files + 1 > this.maxFiles)
      throw new UploadError(`an upload may hold at most ${this.maxFiles} files; drop a smaller folder`);
    if (s.bytes + bytes > this.maxBytes)
      throw new UploadError(
        `an upload may hold at most ${(this.maxBytes / 1024 ** 3).toFixed(0)} GiB; drop a smaller folder`,
      );
    this.sessions.set(sessionDir, { files: s.files + 1, bytes: s.bytes + bytes });
  }

  /** Corrects a reservation with what actually arrived (0 for a failed upload). */
  settle(sessionDir: string, reserved: number, received: number, ok: boolean): void {
    const s = this.sessions.get(sessionDir);
    if (!s) return;
    s.bytes += received - reserved;
    if (!ok) s.files--;
  }
}

export async function receiveUpload(
  req: IncomingMessage,
  target: string,
  limit = MAX_UPLOAD_BYTES,
): Promise<number> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new UploadError(`file too large (${declared} bytes; at most ${limit})`);
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`;
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) req.destroy(new UploadError(`file too large (more than ${limit} bytes)`));
  });
  try {
    await pipeline(req, createWriteStream(partial, { flags: 'wx' }));
    await rename(partial, target);
  } catch (error) {
    await unlink(partial).catch(() => {});
    throw error;
  }
  return received;
}

/** Upload sessions untouched this long, and no experiment's dataset, are removed at server start. */
export const STALE_SESSION_DAYS = 30;

/**
 * Removes upload sessions older than `maxAgeDays` that hold no experiment's dataset (`keep`: dataset
 * paths of the workspace's experiments). Returns the sessions removed.
 */
export async function removeStaleUploadSessions(
  workspace: string,
  keep: readonly string[],
  maxAgeDays = STALE_SESSION_DAYS,
  now = Date.now(),
): Promise<string[]> {
  const root = uploadsRoot(workspace);
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !SESSION.test(e.name)) continue;
    const dir = join(root, e.name);
    const used = keep.some((k) => resolve(k) === dir || resolve(k).startsWith(dir + sep));
    const info = await stat(dir).catch(() => undefined);
    if (used || !info || now - info.mtimeMs < maxAgeDays * 86_400_000) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** Removes what aborted uploads left behind (a crash between receiving and renaming). */
export async function removePartialUploads(workspace: string): Promise<number> {
  let removed = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 18) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path, depth + 1);
      else if (e.name.endsWith(PARTIAL_SUFFIX)) {
        await rm(path, { force: true });
        removed++;
      }
    }
  };
  if (await stat(uploadsRoot(workspace)).catch(() => undefined)) await walk(uploadsRoot(workspace), 0);
  return removed;
}
