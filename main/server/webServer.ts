/**
 * Web mode: the built renderer over HTTP and the contract over a WebSocket, on 127.0.0.1 by default,
 * behind a random per-run token. Dropped files arrive through POST /api/upload; exports leave through
 * GET /api/export (downloads.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import {
  decodeWire,
  encodeWire,
  type SearchEvent,
  settle,
  type WireMessage,
  wireRequestSchema,
} from '../api';
import { EXPORT_DOWNLOAD_PATH } from '../core/exportDownloads';
import type { Engine } from '../engine';
import { newToken, requestUrl, tokenCookie, tokenSource } from './auth';
import {
  type ConnectionGuard,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  limitConnections,
} from './connectionLimits';
import { handleExportDownload } from './downloads';
import { allowedHostNames, fetchSiteAllowed, hostAllowed, originAllowed } from './requestGuard';
import {
  receiveUpload,
  removePartialUploads,
  removeStaleUploadSessions,
  UploadError,
  UploadQuota,
  uploadSessionDir,
  uploadTarget,
} from './uploads';

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
  /** Connection limits (tests lower them); default DEFAULT_CONNECTION_LIMITS. */
  connectionLimits?: ConnectionLimits;
  /** Folder of the built renderer (dist/renderer). */
  staticDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token for tests; a fresh random one otherwise. */
  token?: string;
  /** Extra host names browsers may use to reach the server (e.g. the DNS name of a shared GPU box). */
  allowHosts?: string[];
  /** Limits of one upload session; defaults in uploads.ts. */
  uploadQuota?: UploadQuota;
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
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return send(res, 400, 'Bad request: the path is not valid percent-encoding');
  }
  if (decoded.includes('\0')) return send(res, 400, 'Bad request: NUL in the path');
  let file = resolve(root, `.${decoded}`);
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
  quota: UploadQuota,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let reservation: { dir: string; bytes: number } | undefined;
  try {
    const dir = uploadSessionDir(engine.workspace, url.searchParams.get('session') ?? '');
    const target = uploadTarget(dir, url.searchParams.get('path') ?? '');
    const declared = Number(req.headers['content-length'] ?? 0) || 0;
    quota.reserve(dir, declared);
    reservation = { dir, bytes: declared };
    const bytes = await receiveUpload(req, target);
    quota.settle(dir, declared, bytes, true);
    sendJson(res, 200, { root: dir, path: target, bytes });
  } catch (error) {
    if (reservation) quota.settle(reservation.dir, reservation.bytes, 0, false);
    const status = error instanceof UploadError ? 400 : 500;
    if (!res.headersSent && !res.destroyed) sendJson(res, status, { error: (error as Error).message });
  }
}

/** A socket error (reset, oversize or invalid frame) ends that connection, never the process. */
function guardSocket(socket: Duplex | Socket): void {
  if (socket.listenerCount('error') === 0) socket.on('error', () => socket.destroy());
}

function refuseUpgrade(socket: Duplex, status: 400 | 401 | 403): void {
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' }[status];
  if (socket.writable)
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

interface Gate {
  token: string;
  port: () => number;
  hosts: () => ReadonlySet<string>;
}

/** 400 for a request line that does not parse, 403 for a foreign Host or Origin, else the URL. */
function admit(req: IncomingMessage, gate: Gate): URL | 400 | 403 {
  const url = requestUrl(req);
  if (!url) return 400;
  if (!hostAllowed(req.headers.host, gate.port(), gate.hosts())) return 403;
  // A page from another origin must not reach the engine even if the browser sends our cookie.
  if (!originAllowed(req.headers)) return 403;
  return url;
}

function attachWebSocket(
  server: Server,
  engine: Engine,
  gate: Gate,
  connections: ConnectionGuard,
): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  wss.on('error', () => {});
  server.on('upgrade', (req, socket, head) => {
    guardSocket(socket);
    try {
      const url = admit(req, gate);
      if (typeof url === 'number') return refuseUpgrade(socket, url);
      if (url.pathname !== '/ws' || !tokenSource(req, gate.token, gate.port()))
        return refuseUpgrade(socket, 401);
      connections.authenticated(socket);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      // handleUpgrade refuses bad handshakes itself; anything else still ends only this socket.
      refuseUpgrade(socket, 400);
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    // Oversize frames and invalid UTF-8 arrive as errors here; ws closes the socket with 1009/1007.
    ws.on('error', () => ws.terminate());
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
  const quota = options.uploadQuota ?? new UploadQuota();
  await removePartialUploads(engine.workspace);
  // Old uploads no experiment uses would otherwise pile up in the workspace forever.
  const experiments = (await engine.handle('listExperiments', undefined)) as { datasetPath: string }[];
  await removeStaleUploadSessions(
    engine.workspace,
    experiments.map((e) => e.datasetPath),
  );
  let port = 0;
  const hosts = allowedHostNames(host, options.allowHosts);
  const gate: Gate = { token, port: () => port, hosts: () => hosts };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    baseHeaders(res);
    const url = admit(req, gate);
    if (url === 400) return send(res, 400, 'Bad request line');
    if (url === 403)
      return send(res, 403, 'Forbidden: requests must come from the SegNAS page itself (Host/Origin)');
    const source = tokenSource(req, token, port);
    if (!source)
      return send(res, 401, 'Unauthorized: open the URL with ?token=… that `segnas serve` printed.');
    connections.authenticated(req.socket);
    // The first page load carries the token in its URL; a cookie lets its assets and sockets through.
    if (source === 'query') res.setHeader('Set-Cookie', tokenCookie(token, port));
    if (url.pathname === '/api/upload') {
      if (req.method !== 'POST') return send(res, 405, 'POST only');
      // Another site on this host (another port) could otherwise post with our cookie.
      if (!fetchSiteAllowed(req.headers)) return send(res, 403, 'Forbidden: cross-site upload');
      void handleUpload(engine, quota, url, req, res);
      return;
    }
    if (url.pathname === '/api/health') return sendJson(res, 200, { ok: true });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    if (url.pathname === EXPORT_DOWNLOAD_PATH) {
      // Writing a bundle costs time and disk: only the page itself may ask (as for uploads).
      if (!fetchSiteAllowed(req.headers)) return send(res, 403, 'Forbidden: cross-site download');
      void handleExportDownload(engine, url, res);
      return;
    }
    serveStatic(staticDir, url.pathname, res).catch(() => {
      if (!res.headersSent) send(res, 404, 'Not found');
      else res.destroy();
    });
  };
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, 500, `Internal error: ${(error as Error).message}`);
      else res.destroy();
    }
  });
  // Malformed requests the parser rejects, and resets, end one connection and nothing else.
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });
  server.on('connection', (socket) => guardSocket(socket));
  const connections = limitConnections(server, options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS);
  const wss = attachWebSocket(server, engine, gate, connections);

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
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
