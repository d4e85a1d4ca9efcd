/** Web mode's HTTP + WebSocket server with the real engine on a temporary workspace. */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeWire, encodeWire, type WireMessage } from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { startWebServer, type WebServer } from '../../main/server/webServer';

let workspace: string;
let staticDir: string;
let engine: Engine;
let server: WebServer;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'segnas-server-'));
  staticDir = join(workspace, 'static');
  await mkdir(join(staticDir, 'assets'), { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>SegNAS</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  engine = await createEngine({ workspace, host: 'web' });
  server = await startWebServer({ engine, staticDir, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  rmSync(workspace, { recursive: true, force: true });
});

function connect(query = `?token=${server.token}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`);
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => reject(new Error(String(res.statusCode))));
    ws.on('error', reject);
  });
}

function call(ws: WebSocket, id: number, method: string, payload?: unknown): Promise<WireMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = decodeWire(String(data)) as WireMessage;
      if (msg.kind === 'response' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(encodeWire({ id, method: method as 'getInfo', payload }));
  });
}

describe('web mode server', () => {
  it('binds 127.0.0.1 by default and prints a URL carrying the token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.openUrl).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 to every HTTP request without the token', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/api/health'])
      expect((await fetch(`${server.url}${path.slice(1)}`)).status).toBe(401);
    expect((await fetch(`${server.url}?token=nope`)).status).toBe(401);
    expect(
      (await fetch(`${server.url}api/upload?session=abcdefgh&path=x.nii`, { method: 'POST', body: 'x' }))
        .status,
    ).toBe(401);
  });

  it('serves the app with the token, sets a strict cookie and security headers', async () => {
    const res = await fetch(server.openUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/segnas_token_\d+=.*HttpOnly.*SameSite=Strict/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    expect((await fetch(`${server.url}assets/app.js`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${server.url}assets/missing.js`, { headers: { cookie } })).status).toBe(404);
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    await expect(connect('')).rejects.toThrow('401');
    await expect(connect('?token=wrong')).rejects.toThrow('401');
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
          headers: { Origin: 'https://evil.example' },
        });
        ws.on('open', resolve);
        ws.on('unexpected-response', (_q, res) => reject(new Error(String(res.statusCode))));
      }),
    ).rejects.toThrow('403');
  });

  it('runs contract calls over the WebSocket and rejects bad payloads with a readable error', async () => {
    const ws = await connect();
    const info = await call(ws, 1, 'getInfo');
    expect(info).toMatchObject({ ok: true, value: { host: 'web', workspace } });
    const bad = await call(ws, 2, 'openDataset', { path: 7 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request', field: 'path' } });
    expect(bad.kind === 'response' && !bad.ok && bad.error.message).toMatch(/openDataset: path/);
    const unknown = await call(ws, 3, 'deleteEverything', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const notOpen = await call(ws, 4, 'readVolume', {
      ref: { kind: 'case-image', datasetPath: '/etc', caseId: 'passwd' },
    });
    expect(notOpen).toMatchObject({ ok: false, error: { code: 'not-found' } });
    ws.close();
  });

  it('closes a socket that sends something other than a request', async () => {
    const ws = await connect();
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('{"hello": "world"}');
    expect(await closed).toBe(1008);
  });

  it('stores uploads in a per-session folder and refuses paths that escape it', async () => {
    const headers = { Authorization: `Bearer ${server.token}` };
    const ok = await fetch(`${server.url}api/upload?session=session01&path=imagesTr/a.nii.gz`, {
      method: 'POST',
      body: 'bytes',
      headers,
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { root: string; path: string };
    expect(body.root).toBe(join(workspace, 'uploads', 'session01'));
    expect(body.path).toBe(join(body.root, 'imagesTr', 'a.nii.gz'));
    for (const bad of ['../../evil.nii', 'a/../../x', 'C:/Windows/x', ''])
      expect(
        (
          await fetch(`${server.url}api/upload?session=session01&path=${encodeURIComponent(bad)}`, {
            method: 'POST',
            body: 'x',
            headers,
          })
        ).status,
      ).toBe(400);
    expect(
      (await fetch(`${server.url}api/upload?session=../x&path=a.nii`, { method: 'POST', body: 'x', headers }))
        .status,
    ).toBe(400);
  });
});
