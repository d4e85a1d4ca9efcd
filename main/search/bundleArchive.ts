/**
 * The one way a bundle (a zip) is unpacked: streamed from the file to a folder on disk, never held
 * whole in memory, and checked before a byte is inflated. A zip's central directory can claim
 * anything, so the limits are on what it claims (entry count, total size, each entry's ratio, entries
 * sharing or overlapping their data) and again on what inflating really yields (never more than an
 * entry declared, the CRC must match). Inflating runs in zlib's asynchronous streams, i.e. in libuv's
 * thread pool: the event loop only moves chunks, so web mode keeps answering during an import.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { regularFileSize } from '../data/inputFile';

export interface ArchiveLimits {
  /** Entries (files and folders) in the central directory. */
  maxEntries: number;
  /** Sum of the entries' uncompressed sizes. */
  maxTotalBytes: number;
  /**
   * Uncompressed ÷ compressed size of one entry. Deflate cannot exceed about 1032:1, so a larger
   * declared ratio is a lie, whatever the file holds.
   */
  maxRatio: number;
  /** The archive file itself. */
  maxArchiveBytes: number;
}

const GiB = 2 ** 30;

/** The defaults; `SEGNAS_MAX_BUNDLE_BYTES` raises or lowers the unpacked total. */
export function defaultArchiveLimits(env: NodeJS.ProcessEnv = process.env): ArchiveLimits {
  const fromEnv = Number(env.SEGNAS_MAX_BUNDLE_BYTES);
  const total = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 4 * GiB;
  return { maxEntries: 20_000, maxTotalBytes: total, maxRatio: 1100, maxArchiveBytes: total };
}

/** The archive is refused: what it claims or holds breaks a limit or the zip format. */
export class ArchiveRefusedError extends Error {
  override name = 'ArchiveRefusedError';
}

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function readAt(fd: Awaited<ReturnType<typeof open>>, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fd.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** Reads and checks the central directory; every entry's data range is inside the file and its own. */
async function readEntries(file: string, size: number, limits: ArchiveLimits): Promise<Entry[]> {
  const fd = await open(file, 'r');
  try {
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = await readAt(fd, size - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--)
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    if (at < 0) throw new ArchiveRefusedError('it is not a zip file (no end of central directory)');
    const count = tail.readUInt16LE(at + 10);
    const cdSize = tail.readUInt32LE(at + 12);
    const cdOffset = tail.readUInt32LE(at + 16);
    const eocdOffset = size - tailLength + at;
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
      throw new ArchiveRefusedError('it is a zip64 archive, which bundles never are');
    if (count > limits.maxEntries)
      throw new ArchiveRefusedError(`it lists ${count} entries, more than the limit of ${limits.maxEntries}`);
    if (cdOffset + cdSize > eocdOffset)
      throw new ArchiveRefusedError('its central directory lies outside the file');
    const cd = await readAt(fd, cdOffset, cdSize);
    const entries: Entry[] = [];
    let total = 0;
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
        throw new ArchiveRefusedError(`its central directory is damaged at entry ${k + 1}`);
      const flags = cd.readUInt16LE(p + 8);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      if (p + 46 + nameLength > cd.length)
        throw new ArchiveRefusedError(`its central directory is damaged at entry ${k + 1}`);
      const nameBytes = cd.subarray(p + 46, p + 46 + nameLength);
      const entry: Entry = {
        name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
        method: cd.readUInt16LE(p + 10),
        crc: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localOffset: cd.readUInt32LE(p + 42),
      };
      p += 46 + nameLength + extraLength + commentLength;
      if (flags & 0x1) throw new ArchiveRefusedError(`entry "${entry.name}" is encrypted`);
      if (entry.method !== 0 && entry.method !== 8)
        throw new ArchiveRefusedError(`entry "${entry.name}" uses compression method ${entry.method}`);
      if (entry.method === 0 && entry.size !== entry.compressedSize)
        throw new ArchiveRefusedError(`entry "${entry.name}" is stored but its two sizes differ`);
      if (entry.size > Math.max(entry.compressedSize, 1) * limits.maxRatio)
        throw new ArchiveRefusedError(
          `entry "${entry.name}" claims ${entry.size} bytes from ${entry.compressedSize}, a ratio above the limit of ${limits.maxRatio}:1`,
        );
      total += entry.size;
      if (total > limits.maxTotalBytes)
        throw new ArchiveRefusedError(
          `it would unpack to more than ${limits.maxTotalBytes} bytes (the limit; SEGNAS_MAX_BUNDLE_BYTES changes it)`,
        );
      entries.push(entry);
    }
    // Each entry's local header and data must be its own: entries that share or overlap their data
    // would be inflated once per entry (a CPU bomb from a small file).
    const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
    let end = 0;
    const names = new Set<string>();
    for (const e of byOffset) {
      if (names.has(e.name)) throw new ArchiveRefusedError(`entry "${e.name}" appears twice`);
      names.add(e.name);
      if (e.localOffset < end)
        throw new ArchiveRefusedError(`entry "${e.name}" shares or overlaps another entry's data`);
      const header = await readAt(fd, e.localOffset, 30);
      if (header.length < 30 || header.readUInt32LE(0) !== LOCAL)
        throw new ArchiveRefusedError(`entry "${e.name}" has no local header where the directory says`);
      const dataStart = e.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      end = dataStart + e.compressedSize;
      if (end > cdOffset) throw new ArchiveRefusedError(`entry "${e.name}" runs past the data area`);
      (e as Entry & { dataStart: number }).dataStart = dataStart;
    }
    return byOffset;
  } finally {
    await fd.close();
  }
}

/** Counts and checksums what inflating yields, and stops at the first byte past the declared size. */
function checked(entry: Entry): Transform & { result(): { bytes: number; crc: number } } {
  let bytes = 0;
  let crc = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > entry.size)
        return done(
          new ArchiveRefusedError(
            `entry "${entry.name}" inflates to more than the ${entry.size} bytes it declares`,
          ),
        );
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
  });
  return Object.assign(t, { result: () => ({ bytes, crc }) });
}

/**
 * Unpacks `file` into the folder `dest` (created; the caller removes it on failure). `checkName`
 * throws for a name that may not be unpacked. Returns the file entries' names.
 */
export async function extractArchive(
  file: string,
  dest: string,
  checkName: (name: string) => void,
  limits: ArchiveLimits = defaultArchiveLimits(),
): Promise<string[]> {
  const size = await regularFileSize(file, limits.maxArchiveBytes, 'bundle');
  const entries = await readEntries(file, size, limits);
  const files = entries.filter((e) => !e.name.endsWith('/'));
  for (const e of files) checkName(e.name);
  await mkdir(dest, { recursive: true });
  const needed = files.reduce((s, e) => s + e.size, 0);
  const free = await statfs(dest).then(
    (s) => s.bavail * s.bsize,
    () => Number.POSITIVE_INFINITY,
  );
  if (needed > free)
    throw new ArchiveRefusedError(
      `it unpacks to ${needed} bytes but only ${free} are free in ${dest}; free some space first`,
    );
  for (const e of files) {
    const target = join(dest, ...e.name.split('/'));
    await mkdir(dirname(target), { recursive: true });
    const dataStart = (e as Entry & { dataStart: number }).dataStart;
    const counter = checked(e);
    const source = createReadStream(file, {
      start: dataStart,
      end: dataStart + Math.max(e.compressedSize, 1) - 1,
      highWaterMark: 64 * 1024,
    });
    const out = createWriteStream(target, { flags: 'wx' });
    if (e.compressedSize === 0) {
      source.destroy();
      out.end();
      await new Promise<void>((res, rej) => out.on('finish', () => res()).on('error', rej));
    } else if (e.method === 8) await pipeline(source, createInflateRaw(), counter, out);
    else await pipeline(source, counter, out);
    const got = e.compressedSize === 0 ? { bytes: 0, crc: 0 } : counter.result();
    if (got.bytes !== e.size || got.crc >>> 0 !== e.crc >>> 0)
      throw new ArchiveRefusedError(
        `entry "${e.name}" is damaged (${got.bytes} of ${e.size} bytes, ${got.crc === e.crc ? 'CRC matches' : 'CRC differs'})`,
      );
  }
  return files.map((e) => e.name);
}
