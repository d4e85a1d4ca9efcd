/** Runs parseNifti on many inputs in one worker thread under a per-file watchdog. */
import { Worker } from 'node:worker_threads';

export type ParseOutcome =
  | { kind: 'volume' }
  | { kind: 'finding'; code: string }
  | { kind: 'bad'; detail: string };

export interface ParseResult {
  name: string;
  outcome: ParseOutcome | { kind: 'hang' };
  rss: number;
}

/**
 * Parses each input in turn; a file that takes longer than `timeoutMs` ends the run with a `hang`
 * result for it (the worker is terminated). `maxBytes` is the reader's volume cap.
 */
export async function parseAllInWorker(
  inputs: Iterable<{ name: string; bytes: Uint8Array }>,
  opts: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<ParseResult[]> {
  const worker = new Worker(new URL('./niftiWorker.mjs', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  const results: ParseResult[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    let i = 0;
    for (const { name, bytes } of inputs) {
      // A copy with its own buffer (Buffer#slice would share a pooled one, offset lost in transfer).
      const copy = new Uint8Array(bytes);
      const answer = new Promise<ParseResult>((resolve) => {
        const timer = setTimeout(
          () => resolve({ name, outcome: { kind: 'hang' }, rss: 0 }),
          opts.timeoutMs ?? 10_000,
        );
        const onExit = () => {
          clearTimeout(timer);
          resolve({ name, outcome: { kind: 'bad', detail: 'the worker died (out of memory?)' }, rss: 0 });
        };
        worker.once('exit', onExit);
        worker.once('message', (m: { outcome: ParseOutcome; rss: number }) => {
          clearTimeout(timer);
          worker.off('exit', onExit);
          resolve({ name, outcome: m.outcome, rss: m.rss });
        });
      });
      worker.postMessage({ i: i++, name, bytes: copy.buffer, maxBytes: opts.maxBytes }, [copy.buffer]);
      const result = await answer;
      results.push(result);
      if (result.outcome.kind === 'hang' || (result.outcome.kind === 'bad' && result.rss === 0)) break;
    }
  } finally {
    await worker.terminate();
  }
  return results;
}
