/**
 * The per-run token of web mode. Every HTTP request and WebSocket connection must carry it, either
 * as `?token=` (the URL printed at start-up), an `Authorization: Bearer` header, or the cookie the
 * server sets on the first authorised page load (so the page's own assets need no token in their URLs).
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

/** Where the request's token came from, or undefined when it has none that matches. */
export function tokenSource(req: IncomingMessage, token: string): 'query' | 'header' | 'cookie' | undefined {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = url.searchParams.get('token');
  if (query !== null && sameToken(query, token)) return 'query';
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && sameToken(auth.slice(7), token)) return 'header';
  const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined && sameToken(cookie, token)) return 'cookie';
  return undefined;
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
