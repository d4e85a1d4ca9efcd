// Parses NIfTI bytes in a worker thread, so that a parser that hangs or eats memory fails a test
// (the parent's watchdog) instead of hanging the test run. Loads the TypeScript source through tsx.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { NiftiReadError, parseNifti } = await import('../../main/data/niftiRead.ts');

parentPort.on('message', ({ i, name, bytes, maxBytes }) => {
  let outcome;
  try {
    const vol = parseNifti(new Uint8Array(bytes), name, { maxBytes });
    const n = vol.dims[0] * vol.dims[1] * vol.dims[2];
    outcome =
      vol.data.length === n ? { kind: 'volume' } : { kind: 'bad', detail: `data ${vol.data.length} ≠ ${n}` };
  } catch (e) {
    outcome =
      e instanceof NiftiReadError && e.message.startsWith(`${name}: `)
        ? { kind: 'finding', code: e.code }
        : { kind: 'bad', detail: `${e?.name}: ${e?.message}` };
  }
  parentPort.postMessage({ i, outcome, rss: process.memoryUsage().rss });
});
parentPort.postMessage({ ready: true });
