/**
 * A seeded, time-bounded fuzzer for what the second hardening round closed: bundle archives, model
 * folders, output paths and trainer streams. Each case must end (per-case watchdog), give a result or
 * an error that names what was wrong, and keep the invariant of its class. The counts are printed.
 */
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { boundedLines } from '../../main/compute/boundedLines';
import { createPrng, type Prng } from '../../main/core/prng';
import { claimOutputFile, OutputRefusedError } from '../../main/data/safeOutput';
import { importBundle } from '../../main/search/bundle';
import { openStore } from '../../main/store';
import { readModelJson } from '../../main/train/modelJson';
import { bundleEntries } from '../helpers/bundleFixtures';
import { buildZip } from '../helpers/zipBuilder';

const SEED = Number(process.env.SEGNAS_FUZZ_SEED ?? 25);
/** Each class stops at its count or after this long, whichever comes first. */
const BUDGET_MS = 4000;
const root = mkdtempSync(join(tmpdir(), 'segnas-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Rejects when `p` has not settled within `ms` (a hang is a failure, not a slow test). */
function watchdog<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${what}`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.int(xs.length)];
const EDGE = [0, 1, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff];

function mutate(rng: Prng, valid: Buffer): Buffer {
  const b = Buffer.from(valid);
  // The central directory's start, from the end record.
  const cd = b.readUInt32LE(b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) + 16);
  switch (rng.int(4)) {
    case 0: // a few random bytes anywhere
      for (let k = 1 + rng.int(4); k > 0; k--) b[rng.int(b.length)] = rng.int(256);
      return b;
    case 1: {
      // a 4-byte field of the central directory or end record set to an edge value
      const at = cd + rng.int(b.length - cd - 4);
      b.writeUInt32LE(pick(rng, [...EDGE, b.length, rng.int(b.length)]) >>> 0, at);
      return b;
    }
    case 2: // cut short
      return b.subarray(0, rng.int(b.length));
    default: {
      // a 2-byte field (counts, name lengths) to an edge value
      const at = cd + rng.int(b.length - cd - 2);
      b.writeUInt16LE(pick(rng, [0, 1, 0xffff, rng.int(0x10000)]), at);
      return b;
    }
  }
}

describe('fuzz: hostile inputs (seeded, bounded)', () => {
  it('mutated bundles import whole or are refused by name, never half, never hanging', async () => {
    const rng = createPrng(SEED);
    // A bundle written by `segnas bundle --predictions` from a real 3-evaluation search (36 files, a
    // streamed zip with data descriptors), and a small one built here.
    const real = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'tiny-search.segnas'));
    const built = buildZip(
      bundleEntries([{ name: 'report/summary.md', data: Buffer.from('# report\n'.repeat(50)) }]),
    );
    const ws = join(root, 'ws-archive');
    const store = openStore(ws);
    const counts = { cases: 0, imported: 0, refused: 0 };
    const start = Date.now();
    try {
      for (let i = 0; i < 400 && Date.now() - start < BUDGET_MS; i++) {
        const file = join(root, `m${i}.segnas`);
        // The first case of each is unmutated: both import.
        const valid = i % 2 === 0 ? real : built;
        writeFileSync(file, i < 2 ? valid : mutate(rng, valid));
        counts.cases++;
        try {
          await watchdog(importBundle(store, file), 10_000, file);
          counts.imported++;
        } catch (e) {
          expect(i, `an unmutated bundle was refused: ${(e as Error).message}`).toBeGreaterThanOrEqual(2);
          expect((e as Error).message, `case ${i}`).not.toMatch(/^hung/);
          expect((e as Error).message, `case ${i}`).toContain(file);
          counts.refused++;
        }
        rmSync(file);
      }
      // Exactly the imported ones are listed and on disk; nothing of the refused ones stayed.
      expect(store.listExperiments()).toHaveLength(counts.imported);
      const dirs = (sub: string) =>
        readdirSync(join(ws, sub), { withFileTypes: true }).filter((d) => d.isDirectory());
      expect(readdirSync(ws).includes('experiments') ? dirs('experiments').length : 0).toBe(counts.imported);
      expect(readdirSync(ws).includes('.imports') ? readdirSync(join(ws, '.imports')) : []).toEqual([]);
    } finally {
      store.close();
    }
    console.log(`bundle fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    expect(counts.cases).toBeGreaterThan(20);
    expect(counts.refused).toBeGreaterThan(0);
  }, 60_000);

  it('model folders: a manifest is accepted only when every weight path is a regular file inside the folder of the listed size', async () => {
    const rng = createPrng(SEED + 1);
    const dir = join(root, 'model');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(root, 'outside.bin'), new Uint8Array(16));
    symlinkSync('/dev/zero', join(dir, 'zero.bin'));
    symlinkSync(join(root, 'outside.bin'), join(dir, 'out.bin'));
    execFileSync('mkfifo', [join(dir, 'fifo.bin')]);
    const paths = [
      'weights.bin',
      'sub/w.bin',
      '../outside.bin',
      '/dev/zero',
      '/etc/passwd',
      './weights.bin',
      'sub/../weights.bin',
      'zero.bin',
      'out.bin',
      'fifo.bin',
      'sub',
      '',
      '..',
      'w\\x.bin',
      'C:/w.bin',
      'weights.bin\0',
      'missing.bin',
    ];
    const counts = { cases: 0, accepted: 0, refused: 0 };
    const start = Date.now();
    for (let i = 0; i < 600 && Date.now() - start < BUDGET_MS; i++) {
      const shape = Array.from({ length: rng.int(3) }, () => pick(rng, [0, 1, 2, 3, 3, 2, -1, 1.5, 2 ** 40]));
      const floats = shape.reduce((a, b) => a * b, 1);
      // Half the time the weights hold exactly what the shapes need (so that some manifests are whole).
      const fits = rng.int(2) === 1 && Number.isInteger(floats) && floats >= 0 && floats < 1000;
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(fits ? 4 * floats : 4 * rng.int(8)));
      writeFileSync(join(dir, 'sub', 'w.bin'), new Uint8Array(4 * rng.int(8)));
      const listed =
        rng.int(2) === 1 ? ['weights.bin'] : Array.from({ length: 1 + rng.int(2) }, () => pick(rng, paths));
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          format: 'segnas-model',
          formatVersion: 1,
          weightsManifest: [{ paths: listed, weights: [{ name: 'w', shape, dtype: 'float32' }] }],
        }),
      );
      counts.cases++;
      try {
        await watchdog(readModelJson(dir), 5000, JSON.stringify(listed));
        counts.accepted++;
        let bytes = 0;
        for (const p of listed) {
          const full = resolve(dir, p);
          expect(inside(full, dir), p).toBe(true);
          expect(lstatSync(full).isFile(), p).toBe(true);
          bytes += statSync(full).size;
        }
        expect(bytes).toBe(4 * shape.reduce((a, b) => a * b, 1));
      } catch (e) {
        expect((e as Error).message).not.toMatch(/^hung/);
        expect((e as Error).message).toMatch(/model\.json|weights|\.bin|model folder/);
        counts.refused++;
      }
    }
    console.log(`model-folder fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  }, 30_000);

  it('output paths: a claimed output is never the store, inside it or an input, nor an existing file without force', async () => {
    const rng = createPrng(SEED + 2);
    const ws = join(root, 'ws-out');
    openStore(ws).close();
    const input = join(root, 'input');
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, 'image.nii.gz'), 'x');
    const out = join(root, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'existing.segnas'), 'earlier');
    symlinkSync(join(ws, 'segnas.sqlite'), join(out, 'link-to-store'));
    symlinkSync(input, join(out, 'link-to-input'));
    linkSync(join(ws, 'segnas.sqlite'), join(out, 'hardlink-to-store'));
    const store = statSync(join(ws, 'segnas.sqlite'));
    const heads = [
      ws,
      input,
      out,
      join(out, 'link-to-input'),
      join(ws, 'experiments', '1'),
      join(out, 'sub'),
    ];
    const tails = [
      'segnas.sqlite',
      'segnas.sqlite-wal',
      'new.segnas',
      'existing.segnas',
      'link-to-store',
      'hardlink-to-store',
      '..',
      '.',
      'image.nii.gz',
      join('..', 'input', 'x.segnas'),
      join('..', 'ws-out', 'segnas.sqlite'),
    ];
    const counts = { cases: 0, accepted: 0, refused: 0 };
    for (let i = 0; i < 400; i++) {
      const path = join(pick(rng, heads), pick(rng, tails));
      const force = rng.int(2) === 1;
      counts.cases++;
      try {
        const abs = await claimOutputFile(path, { force, inputs: [input], workspace: ws });
        counts.accepted++;
        const st = statSync(abs, { throwIfNoEntry: false });
        if (st) {
          expect(force, path).toBe(true);
          expect(st.isFile()).toBe(true);
          expect(st.ino === store.ino && st.dev === store.dev, path).toBe(false);
        }
        let real = abs;
        for (let head = abs; ; head = resolve(head, '..')) {
          try {
            real = join(realpathSync(head), relative(head, abs));
            break;
          } catch {}
        }
        expect(inside(real, realpathSync(input)), path).toBe(false);
        expect(inside(real, join(realpathSync(ws), 'experiments')), path).toBe(false);
        expect(real.startsWith(join(realpathSync(ws), 'segnas.sqlite')), path).toBe(false);
      } catch (e) {
        expect(e, path).toBeInstanceOf(OutputRefusedError);
        counts.refused++;
      }
    }
    console.log(`output-path fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  });

  it('trainer streams: lines come out as written until the first over-long one, which is reported once', async () => {
    const rng = createPrng(SEED + 3);
    const MAX = 1000;
    const counts = { streams: 0, overflows: 0, lines: 0 };
    const start = Date.now();
    for (let i = 0; i < 300 && Date.now() - start < BUDGET_MS; i++) {
      const written: string[] = [];
      for (let k = rng.int(20); k > 0; k--) {
        const length = pick(rng, [0, 1, 10, 999, 1000, 1001, 5000, rng.int(2000)]);
        written.push(Array.from({ length }, () => pick(rng, ['a', '{', '"', 'é', '€', '\r'])).join(''));
      }
      const trailing = rng.int(2) === 1;
      const text = written.join('\n') + (trailing ? '\n' : '');
      const bytes = Buffer.from(text);
      const stream = new PassThrough();
      const got: string[] = [];
      let overflows = 0;
      boundedLines(
        stream,
        MAX,
        (l) => got.push(l),
        () => overflows++,
      );
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + rng.int(3000);
        stream.write(bytes.subarray(at, at + n));
        at += n;
      }
      stream.end();
      await new Promise((r) => setImmediate(r));
      // The reference: complete lines (and a last unterminated one) up to the first longer than MAX.
      const lines = text.split('\n');
      const partial = lines.pop() as string;
      const expected: string[] = [];
      let overflowExpected = 0;
      for (const l of partial === '' ? lines : [...lines, partial]) {
        if (Buffer.byteLength(l) > MAX) {
          overflowExpected = 1;
          break;
        }
        expected.push(l.endsWith('\r') ? l.slice(0, -1) : l);
      }
      expect(overflows).toBe(overflowExpected);
      expect(got).toEqual(expected);
      counts.streams++;
      counts.overflows += overflows;
      counts.lines += got.length;
    }
    console.log(`trainer-stream fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    expect(counts.overflows).toBeGreaterThan(0);
  });
});
