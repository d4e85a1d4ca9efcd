/**
 * The one error contract: an error the engine raises reaches the renderer as the same ApiError, code
 * and field intact, through web mode's WebSocket and through the Electron chain (engine host → main
 * process → preload → renderer), with no transport prefix on its message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { answerHostRequest, answerInvoke } from '../../electron/ipc';
import {
  API_METHODS,
  ApiError,
  type ApiResult,
  type SegnasBridge,
  type SegnasHostBridge,
} from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { startWebServer, type WebServer } from '../../main/server/webServer';
import { wrapHostBridge } from '../../renderer/api/hostBridge';
import { connectWebSocket } from '../../renderer/api/wsClient';

let workspace: string;
let engine: Engine;
let server: WebServer;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'segnas-bridges-'));
  engine = await createEngine({ workspace, host: 'web' });
  server = await startWebServer({ engine, staticDir: workspace, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  rmSync(workspace, { recursive: true, force: true });
});

/** The Electron chain without Electron: the same functions its three processes run, with clones between. */
function electronBridge(trusted = true): SegnasBridge {
  const callEngine = async (method: string, payload: unknown): Promise<ApiResult> => {
    const request = structuredClone({ kind: 'request' as const, id: 1, method: method as never, payload });
    const {
      kind: _kind,
      id: _id,
      ...result
    } = structuredClone(
      (await answerHostRequest(engine, request)) as { kind: 'response'; id: number } & ApiResult,
    );
    return result;
  };
  const host = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      async (payload?: unknown) => structuredClone(await answerInvoke(trusted, m, payload, callEngine)),
    ]),
  ) as unknown as SegnasHostBridge;
  return wrapHostBridge(host);
}

function webBridge(): SegnasBridge {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  return connectWebSocket(server.url, server.token);
}

async function rejection(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe.each([
  ['web mode (WebSocket)', webBridge],
  ['Electron (IPC)', () => electronBridge()],
])('%s', (_name, connect) => {
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
});

it('the Electron main process refuses a foreign frame as a bad request, not a crash', async () => {
  const error = await rejection(electronBridge(false).getInfo());
  expect(error.code).toBe('bad-request');
  expect(error.message).toMatch(/untrusted frame/);
});
