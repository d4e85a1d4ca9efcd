/**
 * Web mode keeps answering during hostile imports: a health request is answered within 1 s while the
 * web contract imports a bundle that honestly unpacks to 128 MiB, and the zip CPU bomb is refused
 * without holding the server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { startWebServer, type WebServer } from '../../main/server/webServer';
import { bundleEntries } from '../helpers/bundleFixtures';
import { buildZip, sharedStreamZip } from '../helpers/zipBuilder';

const dir = mkdtempSync(join(tmpdir(), 'segnas-import-responsive-'));
let engine: Engine;
let server: WebServer;
beforeAll(async () => {
  engine = await createEngine({ workspace: join(dir, 'ws'), host: 'web' });
  server = await startWebServer({ engine, staticDir: dir, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The slowest health answer while `work` runs (each request limited to 5 s). */
async function slowestHealthDuring(work: Promise<unknown>): Promise<number> {
  let running = true;
  const stop = () => {
    running = false;
  };
  const settled = work.then(stop, stop);
  let slowest = 0;
  let answered = 0;
  while (running || answered === 0) {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${server.port}/api/health`, {
      headers: { authorization: `Bearer ${server.token}` },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    answered++;
    slowest = Math.max(slowest, performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  await settled;
  return slowest;
}

describe('web mode during imports', () => {
  it('answers health within 1 s while a large honest bundle is imported', async () => {
    const file = join(dir, 'big.segnas');
    writeFileSync(
      file,
      buildZip(bundleEntries([{ name: 'predictions/1/big.nii', data: new Uint8Array(128 << 20) }])),
    );
    const work = engine.handle('importBundle', { path: file });
    expect(await slowestHealthDuring(work)).toBeLessThan(1000);
    await expect(work).resolves.toMatchObject({ candidates: 1 });
  }, 60_000);

  it('answers health within 1 s while the zip CPU bomb is refused', async () => {
    const file = join(dir, 'bomb.segnas');
    writeFileSync(file, sharedStreamZip(10_000, 1 << 20));
    const work = engine.handle('importBundle', { path: file });
    expect(await slowestHealthDuring(work)).toBeLessThan(1000);
    await expect(work).rejects.toThrow(/shares or overlaps another entry's data/);
  }, 60_000);
});
