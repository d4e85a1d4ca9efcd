/**
 * What a web page, a careless client or a token holder can send to a live `segnas serve`: each must
 * get an answer (400/401/403) and leave the server running and answering its token holder.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rawRequest, type ServeChild, withServe } from './serveProcess';

let serve: ServeChild;
withServe((started) => {
  serve = started;
});

const healthy = async () => {
  expect(serve.alive(), serve.output()).toBe(true);
  const res = await fetch(`http://127.0.0.1:${serve.port}/api/health`, {
    headers: { Authorization: `Bearer ${serve.token}` },
  });
  expect(res.status).toBe(200);
};

const upgrade = (headers: string[], path = `/ws?token=${serve.token}`) =>
  [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${serve.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...headers,
    '',
    '',
  ].join('\r\n');

describe('segnas serve under attack', () => {
  it('refuses a websocket upgrade with Origin: null (a sandboxed iframe) and stays up', async () => {
    expect(await rawRequest(serve.port, upgrade(['Origin: null'], '/ws'))).toBe(403);
    expect(await rawRequest(serve.port, upgrade(['Origin: null']))).toBe(403);
    await healthy();
  });

  it('answers 400 to an absolute request line that does not parse, over HTTP and websocket', async () => {
    const bad = `GET http://a:99999/ HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\n\r\n`;
    expect(await rawRequest(serve.port, bad)).toBe(400);
    expect(await rawRequest(serve.port, upgrade([], 'http://a:99999/ws'))).toBe(400);
    await healthy();
  });

  it('checks Origin against its own http://host:port and Host against an allowlist', async () => {
    const get = (headers: Record<string, string>) =>
      rawRequest(
        serve.port,
        `GET /api/health?token=${serve.token} HTTP/1.1\r\n${Object.entries({
          Host: `127.0.0.1:${serve.port}`,
          ...headers,
        })
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
      );
    expect(await get({})).toBe(200);
    expect(await get({ Origin: `http://127.0.0.1:${serve.port}` })).toBe(200);
    expect(await get({ Origin: `http://127.0.0.1:${serve.port + 1}` })).toBe(403);
    expect(await get({ Origin: 'null' })).toBe(403);
    expect(await get({ Host: `evil.example:${serve.port}` })).toBe(403);
    expect(await get({ Host: `localhost:${serve.port}` })).toBe(200);
    expect(await rawRequest(serve.port, `GET /api/health?token=${serve.token} HTTP/1.1\r\n\r\n`)).toBe(400);
    await healthy();
  });

  it('refuses cross-site uploads and names its cookie after its port', async () => {
    const res = await fetch(`http://127.0.0.1:${serve.port}/api/upload?session=session01&path=a.nii`, {
      method: 'POST',
      body: 'x',
      headers: { Authorization: `Bearer ${serve.token}`, 'Sec-Fetch-Site': 'same-site' },
    });
    expect(res.status).toBe(403);
    const page = await fetch(`http://127.0.0.1:${serve.port}/api/health?token=${serve.token}`);
    expect(page.headers.get('set-cookie')).toMatch(new RegExp(`^segnas_token_${serve.port}=`));
    await healthy();
  });

  it('survives an oversize frame and invalid UTF-8 from a token holder', async () => {
    for (const payload of [Buffer.alloc(2 * 1024 * 1024, 32), Buffer.from([0xc3, 0x28, 0xff])]) {
      const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`);
      ws.on('error', () => {});
      await new Promise((r) => ws.on('open', r));
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      ws.send(payload, { binary: false });
      expect([1007, 1009, 1006]).toContain(await closed);
    }
    await healthy();
  });

  it('never lets a prediction case id escape into a path', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`);
    await new Promise((r) => ws.on('open', r));
    const answer = new Promise<string>((r) => ws.on('message', (d) => r(String(d))));
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'readVolume',
        payload: { ref: { kind: 'prediction', experimentId: 1, seq: 0, caseId: '../../../../etc/x' } },
      }),
    );
    expect(JSON.parse(await answer)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    ws.close();
    await healthy();
  });
});
