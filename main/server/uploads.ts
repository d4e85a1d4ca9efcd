/**
 * Files dropped into the browser are uploaded one by one into a per-session folder of the workspace,
 * keeping their relative paths so that dataset layouts (imagesTr/, labelsTr/) survive the trip.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A dropped file larger than this is refused (the largest public MR volumes are well below). */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;

const SESSION = /^[A-Za-z0-9_-]{8,64}$/;

export class UploadError extends Error {}

export function uploadSessionDir(workspace: string, session: string): string {
  if (!SESSION.test(session))
    throw new UploadError('upload session must be 8–64 letters, digits, "-" or "_"');
  return join(resolve(workspace), 'uploads', session);
}

/** The safe absolute destination of a relative path inside the session folder; refuses escapes. */
export function uploadTarget(sessionDir: string, relativePath: string): string {
  const parts = relativePath.split(/[\\/]+/).filter((p) => p.length > 0);
  if (parts.length === 0 || parts.length > 16) throw new UploadError(`bad upload path "${relativePath}"`);
  for (const p of parts)
    if (p === '.' || p === '..' || p.includes('\0') || p.length > 255 || /^[A-Za-z]:$/.test(p))
      throw new UploadError(
        `bad upload path "${relativePath}": each part must be a plain file or folder name`,
      );
  const target = resolve(sessionDir, ...parts);
  if (!target.startsWith(sessionDir + sep)) throw new UploadError(`bad upload path "${relativePath}"`);
  return target;
}

export async function receiveUpload(req: IncomingMessage, target: string): Promise<number> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_UPLOAD_BYTES) throw new UploadError(`file too large (${declared} bytes)`);
  await mkdir(dirname(target), { recursive: true });
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_UPLOAD_BYTES) req.destroy(new UploadError('file too large'));
  });
  await pipeline(req, createWriteStream(target));
  return received;
}
