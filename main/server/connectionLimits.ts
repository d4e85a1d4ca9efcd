/**
 * Connection limits of web mode. Anyone who can reach the port can open connections before the token
 * is checked, so unauthenticated connections are few and short-lived: at most `maxUnauthenticated`
 * at once (a new one evicts the oldest, so a flood of half-open connections cannot keep the token
 * holder out, only slow them by a reconnect), each closed if it has not shown the token within
 * `unauthenticatedMs`. A connection that carries the token is the user's and is left alone (the UI's
 * WebSocket idles for hours). Headers must arrive within `headersMs`; `maxConnections` bounds the
 * server's file descriptors whatever happens.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ConnectionLimits {
  maxConnections: number;
  maxUnauthenticated: number;
  unauthenticatedMs: number;
  headersMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 1000,
  maxUnauthenticated: 128,
  unauthenticatedMs: 10_000,
  headersMs: 10_000,
  keepAliveMs: 5_000,
};

export interface ConnectionGuard {
  /** The connection carried the token: it is no longer counted or timed as unauthenticated. */
  authenticated(socket: Duplex | Socket): void;
  /** Connections not (yet) authenticated, for tests and diagnostics. */
  unauthenticated(): number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): ConnectionGuard {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersMs;
  server.keepAliveTimeout = limits.keepAliveMs;
  // Insertion order is age order: the first is the oldest.
  const pending = new Map<Duplex | Socket, NodeJS.Timeout>();
  const forget = (socket: Duplex | Socket) => {
    const timer = pending.get(socket);
    if (timer) clearTimeout(timer);
    pending.delete(socket);
  };
  server.on('connection', (socket: Socket) => {
    if (pending.size >= limits.maxUnauthenticated) {
      const [oldest] = pending.keys();
      forget(oldest);
      oldest.destroy();
    }
    const timer = setTimeout(() => {
      if (pending.has(socket)) {
        forget(socket);
        socket.destroy();
      }
    }, limits.unauthenticatedMs);
    timer.unref();
    pending.set(socket, timer);
    socket.once('close', () => forget(socket));
  });
  return { authenticated: forget, unauthenticated: () => pending.size };
}
