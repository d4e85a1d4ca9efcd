/// <reference types="vite/client" />
/**
 * The engine inside Electron: runs in a utilityProcess so that dataset reading, store queries and the
 * search never block the window or the main process. Talks to the main process over parentPort.
 */
import { ApiError } from '../main/api';
import { createEngine } from '../main/engineServices';
import type { ParentPort } from './electronTypes';
import type { HostMessage, HostRequest } from './ipc';

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;

// Resolved at build time: an empty record when main/nas/search.ts does not exist yet.
const searchModules = import.meta.glob('../main/search/searchRunner.ts');

async function main(): Promise<void> {
  const workspace = process.argv[2] ?? process.env.SEGNAS_WORKSPACE;
  if (!workspace) throw new Error('engine host: no workspace given');
  const loader = searchModules['../main/search/searchRunner.ts'];
  const engine = await createEngine({
    workspace,
    host: 'electron',
    searchModule: async () => (loader ? loader() : undefined),
  });
  const send = (message: HostMessage) => parentPort.postMessage(message);
  engine.onEvent((event) => send({ kind: 'event', event }));
  parentPort.on('message', async ({ data }) => {
    const request = data as HostRequest;
    if (request?.kind !== 'request') return;
    try {
      // The main process validated the payload already; the engine validates again (defence in depth).
      const result = await engine.handle(request.method, request.payload);
      send({ kind: 'response', id: request.id, ok: true, result });
    } catch (error) {
      const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
      send({ kind: 'response', id: request.id, ok: false, message });
    }
  });
  send({ kind: 'ready' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
