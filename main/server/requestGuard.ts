/**
 * Which requests may reach the server at all, before the token is even looked at.
 *
 * - Host must name this server (DNS rebinding: a page on evil.example that resolves to 127.0.0.1
 *   sends `Host: evil.example`).
 * - Origin, when a browser sends one, must be the server's own `http://host:port`. `Origin: null`
 *   (sandboxed iframes, file:// pages) and other ports of the same host are other sites.
 * - Sec-Fetch-Site, when present, must say the request came from our own page (or was typed).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { networkInterfaces, hostname as osHostname } from 'node:os';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The host names (without port) a browser may use to reach a server bound to `bindHost`: the loopback
 * names, the bound address, and for a wildcard bind every interface address and the machine's name,
 * plus whatever the user allowed explicitly (a DNS name of a shared server).
 */
export function allowedHostNames(bindHost: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>([...LOOPBACK_NAMES, bracket(bindHost).toLowerCase()]);
  if (bindHost === '0.0.0.0' || bindHost === '::') {
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) names.add(bracket(a.address).toLowerCase());
    names.add(osHostname().toLowerCase());
  }
  for (const e of extra) names.add(bracket(e).toLowerCase());
  return names;
}

/** `Host: name:port` with our port and an allowed name; anything else (or none) is refused. */
export function hostAllowed(host: string | undefined, port: number, names: ReadonlySet<string>): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return false;
  const hostPort = m[2] === undefined ? 80 : Number(m[2]);
  return hostPort === port && names.has(m[1].toLowerCase());
}

/** No Origin (a non-browser client holding the token) or exactly `http://<the Host we accepted>`. */
export function originAllowed(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  return typeof headers.host === 'string' && origin.toLowerCase() === `http://${headers.host.toLowerCase()}`;
}

/** Browsers send Sec-Fetch-Site; `same-origin` is our page, `none` a typed URL or bookmark. */
export function fetchSiteAllowed(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}
