/**
 * Every file the app reads is first checked to be a regular file of bounded size. Reading `/dev/zero`
 * never ends, a FIFO blocks the reader forever and a huge file exhausts memory; each is refused with
 * a message naming it, before it is opened for reading.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export class InputRefusedError extends Error {
  override name = 'InputRefusedError';
  constructor(
    message: string,
    /** missing: cannot be stat'ed; not-regular: a folder, FIFO, device or socket; too-large: over the limit. */
    readonly reason: 'missing' | 'not-regular' | 'too-large',
  ) {
    super(message);
  }
}

/** What kind of file `st` is, in words a user knows. */
export function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The error for a file that cannot be stat'ed or opened. */
function unreadable(abs: string, what: string, e: unknown): InputRefusedError {
  return new InputRefusedError(
    `${abs}: cannot read this ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    'missing',
  );
}

/** Refuses anything but a regular file of at most `maxBytes`, naming what it is instead. */
function refuseUnlessBoundedRegular(
  abs: string,
  st: Parameters<typeof kindOf>[0] & { isFile(): boolean; size: number | bigint },
  maxBytes: number,
  what: string,
): void {
  if (!st.isFile())
    throw new InputRefusedError(
      `${abs}: is ${kindOf(st)}, not a ${what}; give a regular file`,
      'not-regular',
    );
  if (Number(st.size) > maxBytes)
    throw new InputRefusedError(
      `${abs}: is ${st.size} bytes, more than the limit of ${maxBytes} for a ${what}`,
      'too-large',
    );
}

/** True when `path` (symlinks followed) is a regular file; FIFOs, devices and sockets are not. */
export async function isRegularFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The size of `path`, which must be a regular file of at most `maxBytes`; else InputRefusedError. */
export async function regularFileSize(path: string, maxBytes: number, what = 'file'): Promise<number> {
  const abs = resolve(path);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(abs);
  } catch (e) {
    throw unreadable(abs, what, e);
  }
  refuseUnlessBoundedRegular(abs, st, maxBytes, what);
  // The open itself must not block: a FIFO swapped in after the stat would block a plain open.
  const handle = await open(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const again = await handle.stat();
    if (!again.isFile())
      throw new InputRefusedError(
        `${abs}: is ${kindOf(again)}, not a ${what}; give a regular file`,
        'not-regular',
      );
  } finally {
    await handle.close();
  }
  return st.size;
}

/** Reads a whole regular file of at most `maxBytes`. */
export async function readBoundedFile(path: string, maxBytes: number, what = 'file'): Promise<Buffer> {
  const abs = resolve(path);
  await regularFileSize(abs, maxBytes, what);
  const handle = await open(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > maxBytes)
      throw new InputRefusedError(`${abs}: changed while it was read; try again`, 'not-regular');
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await handle.read(buf, at, buf.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  } finally {
    await handle.close();
  }
}

/**
 * readBoundedFile for the synchronous callers (the CLI's option parsing reads a bounds file while it builds
 * the configuration): the same checks, with the file opened non-blocking and checked again once open.
 */
export function readBoundedFileSync(path: string, maxBytes: number, what = 'file'): Buffer {
  const abs = resolve(path);
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw unreadable(abs, what, e);
  }
  try {
    const st = fstatSync(fd);
    refuseUnlessBoundedRegular(abs, st, maxBytes, what);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}
