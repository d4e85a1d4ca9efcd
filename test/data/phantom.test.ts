import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverDataset } from '../../main/data/discover';
import { generatePhantomCase, generatePhantomDataset, PHANTOM_LABELS } from '../../main/data/phantom';
import { seededRng } from '../../main/data/random';
import { withTempDir } from './helpers';

function neighbours(label: Uint8Array, S: number, o: number): number[] {
  const x = o % S;
  const y = Math.floor(o / S) % S;
  const z = Math.floor(o / (S * S));
  const out: number[] = [];
  if (x > 0) out.push(label[o - 1]);
  if (x < S - 1) out.push(label[o + 1]);
  if (y > 0) out.push(label[o - S]);
  if (y < S - 1) out.push(label[o + S]);
  if (z > 0) out.push(label[o - S * S]);
  if (z < S - 1) out.push(label[o + S * S]);
  return out;
}

describe('phantom generator', () => {
  it('writes an MSD dataset that validates, identical for the same seed', async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(join(dir, 'a'), { cases: 3, size: 24, seed: 11 });
      await generatePhantomDataset(join(dir, 'b'), { cases: 3, size: 24, seed: 11 });
      const report = await discoverDataset(join(dir, 'a'));
      expect(report.ok).toBe(true);
      expect(report.labels).toEqual(PHANTOM_LABELS);
      for (const c of report.cases) expect(c.label!.values).toEqual([0, 1, 2, 3, 4]);
      for (const f of ['imagesTr/phantom_002.nii.gz', 'labelsTr/phantom_003.nii.gz', 'dataset.json']) {
        expect((await readFile(join(dir, 'a', f))).equals(await readFile(join(dir, 'b', f)))).toBe(true);
      }
    });
  });

  it('nests white matter in grey matter, and puts deep nuclei against the ventricles', () => {
    const S = 48;
    const { label } = generatePhantomCase(S, seededRng(5));
    let nucleiTouchVentricles = 0;
    for (let o = 0; o < label.length; o++) {
      const nb = neighbours(label, S, o);
      // Nested: white matter, ventricles and nuclei never touch the background.
      if (label[o] >= 2) expect(nb.includes(0)).toBe(false);
      if (label[o] === 4 && nb.includes(3)) nucleiTouchVentricles++;
    }
    expect(nucleiTouchVentricles).toBeGreaterThan(5);
  });

  it('varies anatomy and intensities between subjects and seeds', () => {
    const a = generatePhantomCase(32, seededRng(1));
    const b = generatePhantomCase(32, seededRng(2));
    const count = (l: Uint8Array, k: number) => l.reduce((n, v) => n + (v === k ? 1 : 0), 0);
    for (const k of [1, 2, 3, 4]) expect(count(a.label, k)).not.toBe(count(b.label, k));
    expect(a.image).not.toEqual(b.image);
    expect(generatePhantomCase(32, seededRng(1)).image).toEqual(a.image);
  });
});
