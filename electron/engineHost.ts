/**
 * The engine inside Electron: runs in its own process so that dataset reading, store queries and the
 * search never block the window or the main process. The installed app starts it as a utilityProcess
 * (parentPort); `npm start` in a checkout forks it under the Node that installed the dependencies
 * (Node's IPC channel), because there better-sqlite3 is compiled for that Node and not for Electron's.
 * Built as an ES module into dist-engine/ beside the trainer it forks (scripts/build.mjs).
 */
import { createEngine, resolveWorkspaceDir } from '../main/engineServices';
import type { ParentPort } from './electronTypes';
import { answerHostRequest, type HostMessage, type HostRequest } from './ipc';

/** The channel to the main process: Electron's parentPort, or Node's IPC channel in the same shape. */
function connectToMain(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (electronPort) return electronPort;
  const send = process.send?.bind(process);
  if (!send) throw new Error('engine host: start it from the Electron shell (no parentPort, no IPC channel)');
  // The main process is gone: nobody is left to ask, and a running search is resumable from the store.
  process.on('disconnect', () => process.exit(0));
  return {
    on: (event, listener) => void process.on(event, (data) => listener({ data })),
    postMessage: (message) => void send(message),
  };
}

const parentPort = connectToMain();

async function main(): Promise<void> {
  // $SEGNAS_WORKSPACE, else the platform's user data folder: the same workspace the CLI uses.
  const workspace = resolveWorkspaceDir(process.argv[2]);
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
