/**
 * The one error contract: an error the engine raises reaches the renderer as the same ApiError, code
 * and field intact, through web mode's WebSocket and through the Electron chain (engine host → main
 * process → preload → renderer), with no transport prefix on its message.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Engine } from '../../main/engine';
import type { WebServer } from '../../main/server/webServer';
import { electronBridge, rejection, throughBothBridges, withEngineAndServer } from './helpers/bridges';

let workspace: string;
let engine: Engine;
let server: WebServer;

withEngineAndServer((started) => {
  ({ workspace, engine, server } = started);
});

throughBothBridges(
  () => engine,
  () => server,
  (connect) => {
    it('answers values as they are', async () => {
      const info = await connect().getInfo();
      expect(info.workspace).toBe(workspace);
    });

    it('rejects an unusable dataset path with the engine code and its message, unprefixed', async () => {
      const missing = join(workspace, 'no-such-dataset');
      const error = await rejection(connect().openDataset({ path: missing }));
      expect(error.code).toBe('bad-request');
      expect(error.message).toContain(missing);
      expect(error.message).not.toMatch(/invoking remote method|^Error:/);
    });

    it('names the field of a payload that does not fit the contract', async () => {
      const error = await rejection(connect().openDataset({ path: 7 } as unknown as { path: string }));
      expect(error.code).toBe('bad-request');
      expect(error.field).toBe('path');
    });

    it('keeps the not-found code of an unknown experiment', async () => {
      const error = await rejection(connect().getExperiment({ experimentId: 999 }));
      expect(error.code).toBe('not-found');
    });
  },
);

it('the Electron main process refuses a foreign frame as a bad request, not a crash', async () => {
  const error = await rejection(electronBridge(engine, false).getInfo());
  expect(error.code).toBe('bad-request');
  expect(error.message).toMatch(/untrusted frame/);
});
