// The `segnas space` and `segnas arch` commands (main/cli/commands), kept beside the search core they print.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as arch } from '../../main/cli/commands/arch';
import { run as space } from '../../main/cli/commands/space';
import { capture } from './helpers/capture';

const made: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('segnas space', () => {
  it('prints SegNAS11’s bounds as JSON, and the paper’s 141 million combinations', async () => {
    const { code, out } = await capture(space, ['--variant', 'segnas11', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.lower).toEqual([8, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
    expect(json.upper).toEqual([33, 6, 2, 2, 5, 7, 7, 7, 7, 7, 7]);
    expect(json.populationSize).toBe(120);
    expect(json.combinations.cells).toBe(141_178_800);
  });

  it('prints a readable table that marks the fixed hyperparameters of SegNAS7', async () => {
    const { out } = await capture(space, ['--variant', 'segnas7']);
    expect(out).toMatch(/n\s+16 \(fixed\)/);
    expect(out).toMatch(/nodes\s+\[2, 5\)\s+searched/);
    expect(out).toMatch(/7 searched dimensions; CRS population 10·\(7\+1\) = 80/);
  });

  it('checks a custom bounds file and names the file and field that are wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segnas-space-'));
    made.push(dir);
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        n: { lo: 8, hi: 8 },
        p: { fixed: 3 },
        sup: { fixed: 0 },
        res: { fixed: 1 },
        nodes: { fixed: 2 },
        ops: [{ lo: 0, hi: 7 }],
      }),
    );
    const { code, err } = await capture(space, ['--config', file]);
    expect(code).toBe(2);
    expect(err).toContain(`${file}: invalid search space`);
    expect(err).toMatch(/n: lower bound 8 must be below upper bound 8/);
  });

  it('answers --help and refuses unknown options', async () => {
    expect((await capture(space, ['--help'])).out).toMatch(/usage: segnas space/);
    expect((await capture(space, ['--bogus'])).code).toBe(2);
  });
});

describe('segnas arch', () => {
  it('decodes a SegNAS4 point to two cascaded Conv(3,1), with matrix and legality, as JSON', async () => {
    const { code, out } = await capture(arch, ['--variant', 'segnas4', '--x', '[20.7, 6, 1, 0]', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.spec).toEqual({
      n: 20,
      p: 5,
      sup: true,
      res: false,
      block: { nodes: 3, ops: [2, 0, 2] },
      extras: {},
    });
    expect(json.matrix).toEqual([
      [0, 2, 0],
      [0, 0, 2],
      [0, 0, 0],
    ]);
    expect(json.legality).toEqual({ legal: true, problems: [] });
    expect(json.key).toBe('n=20;p=5;sup=1;res=0;nodes=3;ops=2,0,2');
  });

  it('adds the network: parameter count, per-level shapes and training memory for --classes/--size/--batch', async () => {
    const { code, out } = await capture(arch, [
      '--variant',
      'segnas4',
      '--x',
      '[8, 3, 0, 0]',
      '--classes',
      '4',
      '--size',
      '32',
      '--batch',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const { network } = JSON.parse(out);
    // The reference network of the training benchmark (hand-derived in test/train/paramCount.test.ts).
    expect(network.paramCount).toBe(365_564);
    expect(network.levels.map((l: { shape: number[] }) => l.shape)).toEqual([
      [2, 32, 32, 32, 8],
      [2, 16, 16, 16, 16],
      [2, 8, 8, 8, 32],
      [2, 4, 4, 4, 64],
      [2, 8, 8, 8, 32],
      [2, 16, 16, 16, 16],
      [2, 32, 32, 32, 8],
    ]);
    expect(network.estimatedTrainingBytes).toBeGreaterThan(0);
    const { out: bigger } = await capture(arch, [
      '--variant',
      'segnas4',
      '--x',
      '[8, 3, 0, 0]',
      '--batch',
      '4',
      '--json',
    ]);
    expect(JSON.parse(bigger).network.estimatedTrainingBytes).toBeGreaterThan(network.estimatedTrainingBytes);
  });

  it('says when the size cannot be pooled p times instead of failing', async () => {
    const { code, out } = await capture(arch, [
      '--variant',
      'segnas4',
      '--x',
      '[8, 5, 0, 0]',
      '--size',
      '16',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/network: size 16 must be a positive multiple of 2\^p = 32/);
  });

  it('explains why a block is illegal', async () => {
    const { out } = await capture(arch, ['--variant', 'segnas7', '--x', '[4, 2, 0, 0, 0, 3, 2]']);
    expect(out).toMatch(/illegal block \(f = 10, never trained\)/);
    expect(out).toMatch(/node 2 is a source/);
  });

  it('says how many coordinates the variant needs when --x has the wrong length', async () => {
    const { code, err } = await capture(arch, ['--variant', 'segnas4', '--x', '[1, 2]']);
    expect(code).toBe(2);
    expect(err).toMatch(/SegNAS4 searches 4 coordinates \(n, p, sup, res\); --x has 2/);
  });
});
