/**
 * Web mode's export downloads (GET /api/export) against the real app service: an imported experiment
 * downloads as its bundle and its report, and every refusal says what is wrong with the status a
 * browser shows (docs/app.md, "Web mode").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { startWebServer, type WebServer } from '../../main/server/webServer';

let workspace: string;
let engine: Engine;
let server: WebServer;
let experimentId: number;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'segnas-downloads-'));
  engine = await createEngine({ workspace, host: 'web' });
  server = await startWebServer({ engine, staticDir: workspace, port: 0 });
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'tiny-search.segnas');
  ({ experimentId } = (await engine.handle('importBundle', { path: fixture })) as ImportSummary);
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  rmSync(workspace, { recursive: true, force: true });
});

const get = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}api/export?${query}`, {
    headers: { Authorization: `Bearer ${server.token}`, ...headers },
  });

describe('export downloads in web mode', () => {
  it('downloads the experiment as its bundle, a zip whose manifest lists its candidates', async () => {
    const res = await get(`kind=bundle&experimentId=${experimentId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+-\d+\.segnas"$/);
    const entries = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const manifest = JSON.parse(strFromU8(entries['bundle.json']));
    expect(manifest.candidates.length).toBeGreaterThan(0);
  });

  it('downloads the report as a zip whose summary.md carries the Methods paragraph getMethods answers', async () => {
    const res = await get(`kind=report&experimentId=${experimentId}`);
    expect(res.status).toBe(200);
    const entries = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(entries).sort()).toEqual([
      'report/candidates.csv',
      'report/report.json',
      'report/summary.md',
    ]);
    const methods = (await engine.handle('getMethods', { experimentId })) as { paragraph: string };
    expect(strFromU8(entries['report/summary.md'])).toContain(methods.paragraph);
  });

  it('refuses without the token, from another site, and names a wrong kind or an unknown experiment', async () => {
    expect((await fetch(`${server.url}api/export?kind=bundle&experimentId=${experimentId}`)).status).toBe(
      401,
    );
    const crossSite = await get(`kind=bundle&experimentId=${experimentId}`, {
      'Sec-Fetch-Site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);
    const kind = await get(`kind=folder&experimentId=${experimentId}`);
    expect([kind.status, await kind.text()]).toEqual([
      400,
      'kind must be one of report, bundle, models, got "folder"',
    ]);
    const unknown = await get('kind=report&experimentId=999');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/999/);
  });
});
