/**
 * The per-run token of web mode. Every HTTP request and WebSocket connection must carry it, either
 * as `?token=` (the URL printed at start-up), an `Authorization: Bearer` header, or the cookie the
 * server sets on the first authorised page load (so the page's own assets need no token in their URLs).
 *
 * Cookies are shared by every port of a host, so the cookie is named after the port: two servers on
 * 127.0.0.1 do not overwrite each other's.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'segnas_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * The request's path and query, or undefined when the request line does not parse (an absolute URL
 * with a bad port, say): such a request is answered 400, never thrown out of a handler.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

export function cookieName(port: number): string {
  return `${TOKEN_COOKIE}_${port}`;
}

/** Where the request's token came from, or undefined when it has none that matches. */
export function tokenSource(
  req: IncomingMessage,
  token: string,
  port: number,
): 'query' | 'header' | 'cookie' | undefined {
  const query = requestUrl(req)?.searchParams.get('token');
  if (typeof query === 'string' && sameToken(query, token)) return 'query';
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && sameToken(auth.slice(7), token)) return 'header';
  const cookie = cookieValue(req.headers.cookie, cookieName(port));
  if (cookie !== undefined && sameToken(cookie, token)) return 'cookie';
  return undefined;
}

export function tokenCookie(token: string, port: number): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
