/**
 * The renderer's two bridges against a real engine, for tests of the contract: web mode's WebSocket
 * client, and the Electron chain without Electron (the same functions its three processes run, with
 * structured clones between them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import WebSocket from 'ws';
import { answerHostRequest, answerInvoke } from '../../../electron/ipc';
import {
  API_METHODS,
  ApiError,
  type ApiResult,
  type SegnasBridge,
  type SegnasHostBridge,
} from '../../../main/api';
import type { Engine } from '../../../main/engine';
import { createEngine } from '../../../main/engineServices';
import { startWebServer, type WebServer } from '../../../main/server/webServer';
import { wrapHostBridge } from '../../../renderer/api/hostBridge';
import { connectWebSocket } from '../../../renderer/api/wsClient';

/** Engine host → main process → preload → renderer; `trusted` is the main process's sender check. */
export function electronBridge(engine: Engine, trusted = true): SegnasBridge {
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

export function webBridge(server: WebServer): SegnasBridge {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  return connectWebSocket(server.url, server.token);
}

/** The ApiError a call rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

/**
 * A real engine on a fresh workspace and the web server in front of it, for the file's tests (handed to
 * `use` once started), closed and removed after them.
 */
export function withEngineAndServer(
  use: (started: { workspace: string; engine: Engine; server: WebServer }) => void,
) {
  let started: { workspace: string; engine: Engine; server: WebServer } | undefined;
  beforeAll(async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'segnas-bridges-'));
    const engine = await createEngine({ workspace, host: 'web' });
    started = { workspace, engine, server: await startWebServer({ engine, staticDir: workspace, port: 0 }) };
    use(started);
  });
  afterAll(async () => {
    await started?.server.close();
    await started?.engine.close();
    if (started) rmSync(started.workspace, { recursive: true, force: true });
  });
}

/** `tests(connect)` once through each bridge: web mode's WebSocket and the Electron chain. */
export function throughBothBridges(
  engine: () => Engine,
  server: () => WebServer,
  tests: (connect: () => SegnasBridge) => void,
) {
  describe.each([
    ['web mode (WebSocket)', () => webBridge(server())],
    ['Electron (IPC)', () => electronBridge(engine())],
  ])('%s', (_name, connect) => tests(connect));
}
