/**
 * Splits a trainer's stdout into lines, with a bound: readline keeps a line without a newline in
 * memory until it ends, so a trainer printing without newlines grows the engine until V8 gives up
 * ("Invalid string length" at about 1 GB) and the whole search dies. Here a line longer than
 * `maxBytes` is reported once (`onOverflow`) and the rest of the stream is ignored.
 */
import { StringDecoder } from 'node:string_decoder';

/** Protocol lines are small (the largest, a result with per-label Dice, is a few KiB). */
export const MAX_TRAINER_LINE_BYTES = 4 * 2 ** 20;

export function boundedLines(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
  onLine: (line: string) => void,
  onOverflow: (bytes: number) => void,
): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let overflowed = false;
  stream.on('data', (chunk: Buffer | string) => {
    if (overflowed) return;
    const text = partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (Buffer.byteLength(line) > maxBytes) {
        overflowed = true;
        return onOverflow(Buffer.byteLength(line));
      }
      onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (overflowed) return;
    }
    if (partial.length > maxBytes) {
      overflowed = true;
      const bytes = Buffer.byteLength(partial);
      partial = '';
      onOverflow(bytes);
    }
  });
  stream.on('end', () => {
    const last = partial + decoder.end();
    partial = '';
    if (overflowed || !last) return;
    if (Buffer.byteLength(last) > maxBytes) {
      overflowed = true;
      return onOverflow(Buffer.byteLength(last));
    }
    onLine(last.endsWith('\r') ? last.slice(0, -1) : last);
  });
}
