/** A fault in a long-running process is logged and stops its experiments; the process does not exit silently. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFault } from '../main/crashGuard';

const ROOT = join(import.meta.dirname, '..');

describe('crash guard', () => {
  it('logs an uncaught exception and an unhandled rejection, stops the work, and keeps running', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join('test', 'fixtures', 'crashGuardChild.ts')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/segnas: internal error \(uncaught exception\): Error: boom in a timer/);
    expect(run.stderr).toMatch(/segnas: internal error \(unhandled rejection\): Error: rejected heartbeat/);
    expect(run.stdout).toMatch(/stopped experiment \(1\)/);
    expect(run.stdout).toMatch(/still here after 2 stops/);
  });

  it('says a full disk in words, not as an internal error with a stack', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      path: '/ws/experiments/3/models/7/weights.bin',
    });
    const text = describeFault('uncaught exception', full);
    expect(text).toBe(
      'segnas: the disk is full (ENOSPC writing /ws/experiments/3/models/7/weights.bin); what was finished is in the store. Free space, then continue with segnas resume <id>',
    );
    expect(
      describeFault(
        'unhandled rejection',
        Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
      ),
    ).toMatch(/^segnas: the disk is full \(SQLITE_FULL\)/);
  });
});
