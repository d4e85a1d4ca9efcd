/** The CLI never writes over the user's inputs, and replaces existing outputs only with --force. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePhantomDataset } from '../../main/data/phantom';
import { writeFileAtomic } from '../../main/data/safeOutput';
import { createEngine } from '../../main/engineServices';
import { openStore } from '../../main/store';
import { newExperiment } from '../store/helpers';

const ROOT = resolve(import.meta.dirname, '..', '..');
let dir: string;
let data: string;

const segnas = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'segnas.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

/** A digest of every file under `root`, to show that nothing in it changed. */
function digest(root: string): string {
  const h = createHash('sha256');
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true }).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  ))
    if (e.isFile()) h.update(join(e.parentPath, e.name)).update(readFileSync(join(e.parentPath, e.name)));
  return h.digest('hex');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segnas-outsafe-'));
  data = join(dir, 'data');
  await generatePhantomDataset(data, { cases: 4, size: 8, seed: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('output safety', () => {
  it('segnas preprocess refuses an output inside the dataset and leaves the originals untouched', () => {
    const before = digest(data);
    for (const out of [data, join(data, 'preprocessed')]) {
      const r = segnas('preprocess', data, '--size', '8', '--out', out);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(/is inside the input .*originals stay untouched/);
    }
    expect(digest(data)).toBe(before);
  }, 120_000);

  it('segnas preprocess replaces existing outputs only with --force', () => {
    const out = join(dir, 'pre');
    expect(segnas('preprocess', data, '--size', '8', '--out', out).code).toBe(0);
    const again = segnas('preprocess', data, '--size', '8', '--out', out);
    expect(again.code, again.out).toBe(1);
    expect(again.out).toMatch(/already holds \d+ file\(s\) .*use --force/);
    expect(segnas('preprocess', data, '--size', '8', '--out', out, '--force').code).toBe(0);
    expect(readdirSync(join(out, 'imagesTr')).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, 120_000);

  it('segnas predict refuses to write over its own input image', () => {
    const image = join(data, 'imagesTr', readdirSync(join(data, 'imagesTr'))[0]);
    const before = readFileSync(image);
    const r = segnas('predict', '--model', join(dir, 'no-model'), '--image', image, '--out', image);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/inside the input/);
    expect(readFileSync(image).equals(before)).toBe(true);
  }, 60_000);

  it('segnas predict takes a model folder or an experiment, and names what is wrong with either', () => {
    const image = join(data, 'imagesTr', readdirSync(join(data, 'imagesTr'))[0]);
    const out = join(dir, 'predict-out');
    const both = segnas('predict', '--model', dir, '--experiment', '1', '--input', image, '--out', out);
    expect(both.code, both.out).toBe(2);
    expect(both.out).toMatch(/either --model .* or --experiment/);
    const lone = segnas('predict', '--candidate', '3', '--input', image, '--out', out);
    expect(lone.code, lone.out).toBe(2);
    expect(lone.out).toMatch(/--candidate needs --experiment/);
    const missing = segnas(
      'predict',
      '--experiment',
      '7',
      '--input',
      image,
      '--out',
      out,
      '--workspace',
      dir,
    );
    expect(missing.code, missing.out).toBe(1);
    expect(missing.out).toMatch(/no experiment 7/);
  }, 60_000);

  it('writes through a temporary name: a failed write leaves the old file whole', async () => {
    const target = join(dir, 'report.json');
    writeFileSync(target, '{"old": true}');
    // A folder where the temporary file's folder should be: the write fails before touching the target.
    await expect(writeFileAtomic(join(target, 'x'), 'new')).rejects.toThrow();
    await writeFileAtomic(target, '{"new": true}');
    expect(readFileSync(target, 'utf8')).toBe('{"new": true}');
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('segnas bundle never writes over the workspace store, even with --force, nor an existing file without it', () => {
    const ws = join(dir, 'ws-bundle');
    const store = openStore(ws);
    const id = store.createExperiment(newExperiment()).id;
    store.close();
    const db = join(ws, 'segnas.sqlite');
    const before = readFileSync(db);
    for (const target of [db, join(ws, 'experiments', String(id), 'x.segnas')]) {
      const r = segnas('bundle', String(id), '--out', target, '--force', '--workspace', ws);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(/is part of the workspace's experiment store/);
    }
    expect(readFileSync(db).equals(before)).toBe(true);
    const reopened = openStore(ws);
    expect(reopened.listExperiments().map((e) => e.id)).toEqual([id]);
    reopened.close();
    const existing = join(dir, 'earlier.segnas');
    writeFileSync(existing, 'an earlier bundle');
    const r = segnas('bundle', String(id), '--out', existing, '--workspace', ws);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/already exists; use --force to replace it/);
    expect(readFileSync(existing, 'utf8')).toBe('an earlier bundle');
  }, 60_000);

  it('segnas predict does not write into a folder holding earlier results without --force', () => {
    const out = join(dir, 'earlier-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'summary.tsv'), 'earlier');
    const r = segnas(
      'predict',
      '--model',
      join(dir, 'no-model'),
      '--input',
      join(data, 'imagesTr'),
      '--out',
      out,
    );
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/already holds 1 file\(s\) \(e\.g\. summary\.tsv\); use --force/);
    expect(readFileSync(join(out, 'summary.tsv'), 'utf8')).toBe('earlier');
  }, 60_000);

  it('the web contract refuses a bundle file on the store and an apply folder with earlier results', async () => {
    const ws = join(dir, 'ws-web');
    const store = openStore(ws);
    const id = store.createExperiment(newExperiment()).id;
    store.close();
    const engine = await createEngine({ workspace: ws, host: 'web' });
    try {
      await expect(
        engine.bundleExperiment({ experimentId: id, file: join(ws, 'segnas.sqlite'), force: true }),
      ).rejects.toThrow(/part of the workspace's experiment store/);
      const out = join(dir, 'web-applied');
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'a.nii.gz'), 'earlier');
      const model = join(dir, 'web-model');
      mkdirSync(model, { recursive: true });
      writeFileSync(join(model, 'model.json'), '{}');
      await expect(
        engine.startApply({ model: { modelDir: model }, inputs: [join(data, 'imagesTr')], outDir: out }),
      ).rejects.toThrow(/already holds 1 file\(s\)/);
    } finally {
      await engine.close();
    }
    const reopened = openStore(ws);
    expect(reopened.listExperiments().map((e) => e.id)).toEqual([id]);
    reopened.close();
  }, 60_000);
});
