/**
 * The engine inside Electron: runs in a utilityProcess so that dataset reading, store queries and the
 * search never block the window or the main process. Talks to the main process over parentPort.
 * Built as an ES module into dist-engine/ beside the trainer it forks (scripts/build.mjs).
 */
import { createEngine } from '../main/engineServices';
import type { ParentPort } from './electronTypes';
import { answerHostRequest, type HostMessage, type HostRequest } from './ipc';

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;

async function main(): Promise<void> {
  const workspace = process.argv[2] ?? process.env.SEGNAS_WORKSPACE;
  if (!workspace) throw new Error('engine host: no workspace given');
  const engine = await createEngine({ workspace, host: 'electron' });
  const send = (message: HostMessage) => parentPort.postMessage(message);
  engine.onEvent((event) => send({ kind: 'event', event }));
  parentPort.on('message', async ({ data }) => {
    const request = data as HostRequest;
    if (request?.kind !== 'request') return;
    // The main process validated the payload already; the engine validates again (defence in depth).
    send(await answerHostRequest(engine, request));
  });
  send({ kind: 'ready' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
