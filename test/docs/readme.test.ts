/** The README as a newcomer reads it: the Node version it needs, and commands that run in a fresh checkout. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('names the Node version package.json requires', () => {
    const engines = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    const version = /[\d.]+/.exec(engines)?.[0];
    expect(readme).toContain(`Node.js ≥ ${version}`);
  });

  it('writes every command-line example as npx segnas or node bin/segnas.mjs, never a bare segnas', () => {
    const bare: string[] = [];
    for (const block of readme.matchAll(/```bash\n([\s\S]*?)```/g))
      for (const line of block[1].split('\n'))
        if (/(^|\s{2,})segnas /.test(line.replace(/npx segnas /g, '')) && !line.startsWith('npm '))
          bare.push(line);
    // Inline `segnas <command>` in the prose too (a bare `segnas` named as "after npm link" is the exception).
    for (const m of readme.matchAll(/`segnas [a-z-]+[^`]*`/g)) bare.push(m[0]);
    expect(bare).toEqual([]);
  });

  it('npx segnas runs the checkout’s own command without downloading anything', () => {
    const r = spawnSync('npx', ['--no-install', 'segnas', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^segnas — network architecture search/);
  }, 60_000);
});
