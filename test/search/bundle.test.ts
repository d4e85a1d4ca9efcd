// An experiment bundle written in one workspace and opened in an empty one shows the same experiment.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeCandidates } from '../../main/api';
import { run as bundleCommand } from '../../main/cli/commands/bundle';
import { run as importCommand } from '../../main/cli/commands/import';
import { createEngine } from '../../main/engineServices';
import { createSearchRunner } from '../../main/search/searchRunner';
import { experimentDir } from '../../main/store';
import { phantomDataset, removeTempDirs, tempDir, tinyConfig } from './searchFixtures';

let data: string;
beforeAll(async () => {
  data = await phantomDataset();
});
afterAll(removeTempDirs);

async function quietly(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spies = [vi.spyOn(console, 'log'), vi.spyOn(console, 'error')].map((s) =>
    s.mockImplementation((...a) => void lines.push(a.join(' '))),
  );
  try {
    return { code: await fn(), out: lines.join('\n') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('experiment bundle', () => {
  it('round-trips candidates, curves, tests, report and viewer predictions into an empty workspace, read-only', async () => {
    const source = tempDir('bundle-src');
    const runner = createSearchRunner({ workspace: source, emit: () => undefined });
    let id: number;
    let kept: number;
    try {
      ({ experimentId: id } = await runner.start(tinyConfig(data, { evaluations: 4, topK: 1 })));
      const end = await runner.whenDone(id);
      expect(end.status, end.message).toBe('finished');
      kept = runner.store.getExperiment(id)?.best?.seq as number;
    } finally {
      await runner.close();
    }
    // A model folder from before model.onnx: the bundle adds it.
    const bestOnnx = join(experimentDir(source, id), 'models', String(kept), 'model.onnx');
    const written = await readFile(bestOnnx);
    await rm(bestOnnx);
    const file = join(tempDir('bundle-file'), 'exp.segnas');
    const bundled = await quietly(() =>
      bundleCommand([String(id), '--out', file, '--predictions', '--workspace', source]),
    );
    expect(bundled.code, bundled.out).toBe(0);
    // Every kept model's prediction on the 2 validation and 3 test cases.
    const [, models, predictions] = bundled.out.match(/4 candidates, (\d+) models, (\d+) predictions/) ?? [];
    expect(Number(models)).toBeGreaterThanOrEqual(1);
    expect(Number(predictions)).toBe(5 * Number(models));

    const target = tempDir('bundle-dst');
    const imported = await quietly(() => importCommand([file, '--workspace', target]));
    expect(imported.code, imported.out).toBe(0);
    const newId = Number(imported.out.match(/as experiment (\d+)/)?.[1]);

    const before = await createEngine({ workspace: source, host: 'web' });
    const after = await createEngine({ workspace: target, host: 'web' });
    try {
      const a = await before.getExperiment({ experimentId: id });
      const b = await after.getExperiment({ experimentId: newId });
      const strip = (d: typeof a) => decodeCandidates(d.candidates).map(({ experimentId: _e, ...c }) => c);
      expect(strip(b)).toEqual(strip(a));
      let epochs = 0;
      for (const c of decodeCandidates(a.candidates)) {
        const [ca, cb] = await Promise.all([
          before.getCandidate({ experimentId: id, seq: c.seq }),
          after.getCandidate({ experimentId: newId, seq: c.seq }),
        ]);
        expect(cb.curve).toEqual(ca.curve);
        epochs += cb.curve.length;
      }
      expect(epochs).toBeGreaterThan(0);
      expect(b.tests).toEqual(a.tests);
      expect(b.validationCases).toEqual(a.validationCases);
      expect(b.testCases).toEqual(a.testCases);
      expect(b.summary.best).toEqual(a.summary.best);
      expect(b.summary.status).toBe('finished');

      // The report travels as written, with its Methods paragraph and citation.
      const reportA = await readFile(join(experimentDir(source, id), 'report', 'summary.md'), 'utf8');
      const reportB = await readFile(join(experimentDir(target, newId), 'report', 'summary.md'), 'utf8');
      expect(reportB).toBe(reportA);
      expect(reportA).toMatch(/## Methods \(ready to paste\)/);
      expect(reportA).toMatch(
        /\(CRS\) as in \[1\], in its variant with local mutation \(CRS2-LM\), with a population of \d+ over 3 searched hyperparameters and a budget of 4 evaluations/,
      );
      expect(reportA).toMatch(/resized to 12×12×12 voxels/);
      expect(reportA).toMatch(/^\[1\] Wong, K\.C\.L\., Moradi, M\.: SegNAS3D/m);

      // The viewer: the bundled cases open as a dataset, and the predictions read back byte for byte.
      const datasetPath = String(b.config.datasetPath);
      const report = await after.openDataset({ path: datasetPath });
      expect(report.labels.map((l) => l.name)).toContain('white matter');
      await before.openDataset({ path: String(a.config.datasetPath) });
      const best = a.summary.best?.seq as number;
      for (const caseId of [a.validationCases[0], a.testCases[0]]) {
        const pa = await before.readVolume({
          ref: { kind: 'prediction', experimentId: id, seq: best, caseId },
        });
        const pb = await after.readVolume({
          ref: { kind: 'prediction', experimentId: newId, seq: best, caseId },
        });
        expect(Buffer.from(pb.bytes).equals(Buffer.from(pa.bytes))).toBe(true);
        const ia = await before.readVolume({
          ref: { kind: 'case-image', datasetPath: String(a.config.datasetPath), caseId },
        });
        const ib = await after.readVolume({ ref: { kind: 'case-image', datasetPath, caseId } });
        expect(Buffer.from(ib.bytes).equals(Buffer.from(ia.bytes))).toBe(true);
        await after.readVolume({ ref: { kind: 'case-label', datasetPath, caseId } });
      }
      await expect(after.evaluateTest({ experimentId: newId, topK: 1 })).rejects.toThrow(/read-only/);

      // The kept model travels with model.onnx (the one the trainer wrote, byte for byte) and the
      // preprocessing it expects; the candidate page downloads them.
      const onnx = await after.readModelFile({ experimentId: newId, seq: kept, file: 'model.onnx' });
      expect(onnx.name).toBe(`experiment${newId}-candidate${kept}-model.onnx`);
      expect(Buffer.from(onnx.bytes).equals(written)).toBe(true);
      const pre = await after.readModelFile({ experimentId: newId, seq: kept, file: 'preprocessing.json' });
      expect(JSON.parse(Buffer.from(pre.bytes).toString('utf8')).geometry.size).toBe(12);
      const unkept = decodeCandidates(b.candidates).find(
        (c) => !existsSync(join(experimentDir(target, newId), 'models', String(c.seq))),
      );
      if (unkept)
        await expect(
          after.readModelFile({ experimentId: newId, seq: unkept.seq, file: 'model.onnx' }),
        ).rejects.toThrow(/has no kept model/);
    } finally {
      await before.close();
      await after.close();
    }

    // Not a bundle: a clear message, nothing created.
    const bad = await quietly(() => importCommand([join(data, 'dataset.json'), '--workspace', target]));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/not a SegNAS bundle/);
  }, 300_000);
});
