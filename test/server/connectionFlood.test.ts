/**
 * Connection exhaustion: thousands of half-open connections without a token, against a real
 * `segnas serve` whose process may hold only 1,024 file descriptors, must not keep the token holder
 * out; idle unauthenticated connections are closed. Only 127.0.0.1 is touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../main/engineServices';
import { startWebServer } from '../../main/server/webServer';
import { type ServeChild, withServe } from './serveProcess';

/**
 * The 20,000 seen in the wild, held by four client processes of 5,000 each (each costs its holder a
 * descriptor too, and one process may hold at most its own limit): twenty times the server's limit.
 */
const FLOOD = 20_000;
const CLIENTS = 4;
const FLOOD_CLIENT = fileURLToPath(new URL('../fixtures/floodClient.mjs', import.meta.url));

/** Starts a client process holding `count` half-open connections; resolves once it holds them. */
function floodClient(port: number, count: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [FLOOD_CLIENT, String(port), String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('held ')) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      reject(new Error(`flood client exited ${code} before holding its connections`)),
    );
  });
}

let serve: ServeChild;
withServe(
  (started) => {
    serve = started;
  },
  { fdLimit: 1024, timeoutMs: 60_000 },
);

/** Opens a connection that sends `bytes` (maybe nothing) and then keeps silent. */
function halfOpen(port: number, bytes = ''): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => resolve(socket));
    socket.on('connect', () => {
      if (bytes) socket.write(bytes);
      resolve(socket);
    });
  });
}

async function health(port: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/health`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  return res.status;
}

describe('web mode connection limits', () => {
  it(`serves the token holder while ${FLOOD} half-open connections without a token are held`, async () => {
    const clients: ChildProcess[] = [];
    try {
      for (let c = 0; c < CLIENTS; c++) clients.push(await floodClient(serve.port, FLOOD / CLIENTS));
      expect(await health(serve.port, serve.token)).toBe(200);
      expect(serve.alive(), serve.output()).toBe(true);
    } finally {
      for (const c of clients) {
        c.removeAllListeners('exit');
        c.kill('SIGKILL');
      }
    }
    expect(await health(serve.port, serve.token)).toBe(200);
  }, 120_000);

  it('closes an unauthenticated connection that stays silent, and keeps one that showed the token', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'segnas-conn-'));
    const engine = await createEngine({ workspace, host: 'web' });
    const server = await startWebServer({
      engine,
      staticDir: workspace,
      port: 0,
      connectionLimits: {
        maxConnections: 100,
        maxUnauthenticated: 4,
        unauthenticatedMs: 300,
        headersMs: 10_000,
        keepAliveMs: 60_000,
      },
    });
    try {
      const closed = (s: Socket) =>
        new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));
      const silent = await halfOpen(server.port);
      await closed(silent); // by the 300 ms limit, well before the test's own timeout
      const user = await halfOpen(
        server.port,
        `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`,
      );
      await new Promise<void>((r) => user.once('data', () => r()));
      // Four more silent connections than the cap: the oldest are evicted, never the user's.
      const flood = await Promise.all(Array.from({ length: 8 }, () => halfOpen(server.port)));
      await Promise.all(flood.slice(0, 4).map(closed));
      await new Promise((r) => setTimeout(r, 600));
      expect(user.destroyed).toBe(false);
      for (const s of [user, ...flood]) s.destroy();
    } finally {
      await server.close();
      await engine.close();
      rmSync(workspace, { recursive: true, force: true });
    }
  }, 30_000);
});
