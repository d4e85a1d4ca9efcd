/**
 * Web mode: the built renderer over HTTP and the contract over a WebSocket, on 127.0.0.1 by default,
 * behind a random per-run token. Dropped files arrive through POST /api/upload.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import {
  decodeWire,
  encodeWire,
  type SearchEvent,
  settle,
  type WireMessage,
  wireRequestSchema,
} from '../api';
import type { Engine } from '../engine';
import { newToken, tokenCookie, tokenSource } from './auth';
import { receiveUpload, UploadError, uploadSessionDir, uploadTarget } from './uploads';

export const DEFAULT_HOST = '127.0.0.1';

/** The same policy as the Electron window, plus what the WebSocket needs. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss: blob: data:",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export interface WebServerOptions {
  engine: Engine;
  /** Folder of the built renderer (dist/renderer). */
  staticDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token for tests; a fresh random one otherwise. */
  token?: string;
}

export interface WebServer {
  url: string;
  /** The URL with the token, ready to open. */
  openUrl: string;
  host: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}

function baseHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // The token is in the page URL: never leak it through Referer.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

async function serveStatic(staticDir: string, pathname: string, res: ServerResponse): Promise<void> {
  const root = resolve(staticDir);
  let file = resolve(root, `.${decodeURIComponent(pathname)}`);
  if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'Forbidden');
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info) {
    // Client-side routes fall back to the app; missing assets are real 404s.
    if (extname(pathname)) return send(res, 404, `Not found: ${pathname}`);
    file = join(root, 'index.html');
    info = await stat(file).catch(() => undefined);
    if (!info)
      return send(
        res,
        503,
        `The renderer is not built (no ${file}). Run "npx vite build" (or "npm start", which builds it) and reload.`,
      );
  }
  const immutable = pathname.startsWith('/assets/');
  res.writeHead(200, {
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

async function handleUpload(
  engine: Engine,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const dir = uploadSessionDir(engine.workspace, url.searchParams.get('session') ?? '');
    const target = uploadTarget(dir, url.searchParams.get('path') ?? '');
    const bytes = await receiveUpload(req, target);
    sendJson(res, 200, { root: dir, path: target, bytes });
  } catch (error) {
    const status = error instanceof UploadError ? 400 : 500;
    sendJson(res, status, { error: (error as Error).message });
  }
}

function attachWebSocket(server: Server, engine: Engine, token: string): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A page from another origin must not reach the engine even if the browser sends our cookie.
    const origin = req.headers.origin;
    const originOk = !origin || new URL(origin).host === req.headers.host;
    if (url.pathname !== '/ws' || !originOk || !tokenSource(req, token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const sendWire = (message: WireMessage) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeWire(message));
    };
    const unsubscribe = engine.onEvent((event: SearchEvent) => sendWire({ kind: 'event', event }));
    ws.on('close', unsubscribe);
    ws.on('message', async (data) => {
      let parsed: unknown;
      try {
        parsed = decodeWire(String(data));
      } catch {
        return ws.close(1003, 'messages must be JSON');
      }
      const request = wireRequestSchema.safeParse(parsed);
      if (!request.success) return ws.close(1008, 'malformed request');
      const { id, method, payload } = request.data;
      const result = await settle(() => engine.handle(method, payload));
      sendWire({ kind: 'response', id, ...(result.ok ? { ok: true, value: result.value ?? null } : result) });
    });
  });
  return wss;
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? DEFAULT_HOST;
  const token = options.token ?? newToken();
  const { engine, staticDir } = options;

  const server = createServer((req, res) => {
    baseHeaders(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const source = tokenSource(req, token);
    if (!source)
      return send(res, 401, 'Unauthorized: open the URL with ?token=… that `segnas serve` printed.');
    // The first page load carries the token in its URL; a cookie lets its assets and sockets through.
    if (source === 'query') res.setHeader('Set-Cookie', tokenCookie(token));
    if (url.pathname === '/api/upload') {
      if (req.method !== 'POST') return send(res, 405, 'POST only');
      void handleUpload(engine, url, req, res);
      return;
    }
    if (url.pathname === '/api/health') return sendJson(res, 200, { ok: true });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    serveStatic(staticDir, url.pathname, res).catch((error) => send(res, 500, String(error)));
  });
  const wss = attachWebSocket(server, engine, token);

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    host,
    port,
    token,
    server,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
