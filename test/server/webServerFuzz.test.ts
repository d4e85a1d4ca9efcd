/**
 * HTTP/WebSocket fuzzer (seeded, bounded) against a live `segnas serve` on 127.0.0.1: malformed request
 * lines, headers, origins, hosts, paths, upgrade handshakes and frames. Every request must be answered
 * or closed, and after each batch the server must still be up and answering its token holder.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPrng, type Prng } from '../../main/core/prng';
import { rawRequest, type ServeChild, withServe } from './serveProcess';

const SEED = 424242;
const HTTP_REQUESTS = 400;
const WS_SESSIONS = 60;

let serve: ServeChild;
withServe((started) => {
  serve = started;
});

const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.int(xs.length)];

function junk(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(256));
  return s;
}

function fuzzRequest(rng: Prng, port: number, token: string): string {
  const methods = [
    'GET',
    'POST',
    'HEAD',
    'PUT',
    'DELETE',
    'OPTIONS',
    'PATCH',
    'CONNECT',
    'TRACE',
    'G\0T',
    '',
  ];
  const paths = [
    '/',
    `/?token=${token}`,
    '/api/health',
    `/api/health?token=${token}`,
    `/api/upload?session=../../x&path=a&token=${token}`,
    `/api/upload?session=abcdefgh&path=..%2f..%2fx&token=${token}`,
    `/%2e%2e/%2e%2e/etc/passwd?token=${token}`,
    `/assets/%E0%A4%A?token=${token}`,
    `/%00?token=${token}`,
    'http://a:99999/',
    'http://[::1/',
    '//evil.example/x',
    '*',
    `/ws?token=${token}`,
    `/${'a'.repeat(9000)}`,
    junk(rng, 20),
  ];
  const hosts = [
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `evil.example:${port}`,
    '127.0.0.1',
    `[::1]:${port}`,
    '',
    junk(rng, 8),
  ];
  const origins = [
    undefined,
    'null',
    `http://127.0.0.1:${port}`,
    `http://127.0.0.1:${port + 1}`,
    'https://evil.example',
    'http://a:99999',
    junk(rng, 6),
  ];
  const versions = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'FOO', ''];
  const lines = [`${pick(rng, methods)} ${pick(rng, paths)} ${pick(rng, versions)}`];
  const host = pick(rng, hosts);
  if (rng.uniform() < 0.9) lines.push(`Host: ${host}`);
  const origin = pick(rng, origins);
  if (origin !== undefined) lines.push(`Origin: ${origin}`);
  if (rng.uniform() < 0.3) lines.push(`Authorization: Bearer ${rng.uniform() < 0.5 ? token : junk(rng, 10)}`);
  if (rng.uniform() < 0.2) lines.push('Upgrade: websocket', 'Connection: Upgrade');
  if (rng.uniform() < 0.2) lines.push(`Sec-WebSocket-Key: ${junk(rng, 5)}`, 'Sec-WebSocket-Version: 13');
  if (rng.uniform() < 0.2) lines.push(`Content-Length: ${pick(rng, ['-1', '99999999999', 'abc', '5', '0'])}`);
  if (rng.uniform() < 0.1) lines.push('Transfer-Encoding: chunked');
  if (rng.uniform() < 0.15) lines.push(`X-${junk(rng, 4)}: ${junk(rng, 12)}`);
  if (rng.uniform() < 0.05) lines.push(`Cookie: ${'x'.repeat(20_000)}`);
  if (rng.uniform() < 0.1)
    lines.push(`Sec-Fetch-Site: ${pick(rng, ['cross-site', 'same-site', 'same-origin', 'none'])}`);
  const body = rng.uniform() < 0.3 ? junk(rng, rng.int(64)) : '';
  const eol = rng.uniform() < 0.1 ? '\n' : '\r\n';
  return `${lines.join(eol)}${eol}${eol}${body}`;
}

/** A handshake-valid websocket with the token, then a raw frame of random bytes (masked or not). */
function fuzzFrameSession(rng: Prng, port: number, token: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    let upgraded = false;
    socket.on('data', (d) => {
      if (upgraded) return;
      upgraded = true;
      if (!d.toString('latin1').startsWith('HTTP/1.1 101')) return void socket.destroy();
      const frame = Buffer.alloc(2 + rng.int(40));
      for (let i = 0; i < frame.length; i++) frame[i] = rng.int(256);
      if (rng.uniform() < 0.5) frame[0] = pick(rng, [0x81, 0x82, 0x88, 0x89, 0x01, 0x80, 0xf1]);
      socket.write(frame);
      setTimeout(() => socket.destroy(), 100);
    });
    socket.on('connect', () =>
      socket.write(
        `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
  });
}

async function tokenHolderAnswers(): Promise<boolean> {
  const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send(JSON.stringify({ id: 1, method: 'getInfo' }));
    return JSON.parse(await reply).ok === true;
  } finally {
    ws.terminate();
  }
}

describe('HTTP/WebSocket fuzzer', () => {
  it('answers or closes every malformed request and keeps serving its token holder', async () => {
    const rng = createPrng(SEED);
    const statuses = new Map<number, number>();
    const started = Date.now();
    let tried = 0;
    for (let batch = 0; batch < HTTP_REQUESTS / 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          rawRequest(serve.port, fuzzRequest(rng, serve.port, serve.token), 2000),
        ),
      );
      tried += answers.length;
      for (const s of answers) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      expect(serve.alive(), serve.output()).toBe(true);
    }
    for (let i = 0; i < WS_SESSIONS; i++) await fuzzFrameSession(rng, serve.port, serve.token);
    expect(serve.alive(), serve.output()).toBe(true);
    expect(await tokenHolderAnswers()).toBe(true);
    // A request that was accepted as a page load must never be a 5xx.
    const serverErrors = [...statuses].filter(([s]) => s >= 500 && s !== 503).reduce((a, [, n]) => a + n, 0);
    console.log(
      `HTTP/WebSocket fuzzer (seed ${SEED}): ${tried} requests and ${WS_SESSIONS} websocket frame sessions tried in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s; answers ${[...statuses]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s === 0 ? 'closed' : s}×${n}`)
          .join(', ')}; server up and answering its token holder: all handled`,
    );
    expect(serverErrors).toBe(0);
  }, 180_000);
});
