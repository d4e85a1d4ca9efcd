/** Upload sessions do not pile up: leftovers of aborted uploads and old unused sessions are removed at start. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PARTIAL_SUFFIX,
  removePartialUploads,
  removeStaleUploadSessions,
  UploadError,
  UploadQuota,
} from '../../main/server/uploads';

const workspace = mkdtempSync(join(tmpdir(), 'segnas-uploads-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function session(name: string, ageDays: number): string {
  const dir = join(workspace, 'uploads', name);
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  writeFileSync(join(dir, 'imagesTr', 'a.nii.gz'), 'x');
  const t = new Date(Date.now() - ageDays * 86_400_000);
  utimesSync(dir, t, t);
  return dir;
}

describe('upload housekeeping', () => {
  it('removes partial files and old sessions that no experiment uses', async () => {
    const old = session('oldsession1', 40);
    const used = session('usedsession', 40);
    const fresh = session('freshsession', 1);
    writeFileSync(join(fresh, 'imagesTr', `b.nii.gz.1234${PARTIAL_SUFFIX}`), 'half');
    expect(await removePartialUploads(workspace)).toBe(1);
    const removed = await removeStaleUploadSessions(workspace, [used]);
    expect(removed).toEqual([old]);
    expect((await readdir(join(workspace, 'uploads'))).sort()).toEqual(['freshsession', 'usedsession']);
    expect(await readdir(join(fresh, 'imagesTr'))).toEqual(['a.nii.gz']);
  });

  it('limits the files and bytes of one session', () => {
    const quota = new UploadQuota(2, 100);
    quota.reserve('s', 10);
    quota.reserve('s', 10);
    expect(() => quota.reserve('s', 10)).toThrow(UploadError);
    const other = new UploadQuota(10, 100);
    other.reserve('s', 90);
    expect(() => other.reserve('s', 20)).toThrow(/at most/);
  });
});
