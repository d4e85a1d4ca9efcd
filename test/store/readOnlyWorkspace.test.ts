/**
 * A workspace that cannot be written (a read-only mount, a colleague's folder) can still be listed
 * and shown. As root, file modes do not bind, so the CLI then runs as the unprivileged user `nobody`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../main/store';
import { newExperiment } from './helpers';

const ROOT = resolve(import.meta.dirname, '..', '..');
const root = mkdtempSync(join(tmpdir(), 'segnas-ro-'));
afterAll(() => {
  chmodSync(join(root, 'ws'), 0o755);
  rmSync(root, { recursive: true, force: true });
});

function segnasAsOther(...args: string[]) {
  const node = [process.execPath, join(ROOT, 'bin', 'segnas.mjs'), ...args];
  const asRoot = process.getuid?.() === 0;
  const [cmd, ...argv] = asRoot
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node]
    : node;
  const r = spawnSync(cmd, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HOME: root },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('read-only workspace', () => {
  it('segnas list and show work on a workspace that cannot be written', () => {
    const ws = join(root, 'ws');
    const store = openStore(ws);
    const id = store.createExperiment(newExperiment({ name: 'read only please' })).id;
    store.updateExperimentStatus(id, 'stopped', { reason: 'test' });
    store.close();
    chmodSync(root, 0o755);
    for (const f of readdirSync(ws)) chmodSync(join(ws, f), 0o444);
    chmodSync(ws, 0o555);
    const list = segnasAsOther('list', '--workspace', ws);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toMatch(/read only please/);
    const show = segnasAsOther('show', String(id), '--workspace', ws);
    expect(show.code, show.out).toBe(0);
    expect(readdirSync(ws).sort()).toEqual(['segnas.sqlite']);
  }, 60_000);
});
