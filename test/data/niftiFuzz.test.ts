/**
 * NIfTI fuzzer (seeded): mutated headers and truncations of real MSD files, raw and gzipped. Every
 * input must end, within a time and memory bound, in a volume or a NiftiReadError naming the file
 * (what dataset discovery turns into a finding) — never a hang, a crash or another exception.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createPrng, type Prng } from '../../main/core/prng';
import { hippocampusDir } from './helpers';
import { parseAllInWorker } from './niftiInWorker';

const SEED = 20240611;
const FILES_PER_SOURCE = 300;
/** A volume cap for the run, so that a header promising gigabytes costs nothing. */
const MAX_BYTES = 256 * 1024 ** 2;
const RSS_BOUND = 1.5 * 1024 ** 3;

const INTERESTING = [
  0,
  -1,
  1,
  2,
  3,
  7,
  15,
  16,
  -16,
  255,
  256,
  347,
  348,
  349,
  352,
  540,
  32767,
  -32768,
  65535,
  2 ** 31 - 1,
  -(2 ** 31),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e30,
  -1e30,
  1e-30,
  0.5,
];

/** NIfTI-1 header fields: offset and type. */
const FIELDS: [number, 'i32' | 'i16' | 'f32' | 'u8'][] = [
  [0, 'i32'],
  ...[40, 42, 44, 46, 48, 50, 52, 54].map((o): [number, 'i16'] => [o, 'i16']),
  [70, 'i16'],
  [72, 'i16'],
  ...[76, 80, 84, 88].map((o): [number, 'f32'] => [o, 'f32']),
  [108, 'f32'],
  [112, 'f32'],
  [116, 'f32'],
  [252, 'i16'],
  [254, 'i16'],
  ...[256, 260, 264, 268, 272, 276].map((o): [number, 'f32'] => [o, 'f32']),
  ...Array.from({ length: 12 }, (_, k): [number, 'f32'] => [280 + 4 * k, 'f32']),
  [344, 'u8'],
  [345, 'u8'],
  [348, 'u8'],
  [352, 'i32'],
  [356, 'i32'],
  [368, 'i32'],
];

function setField(v: DataView, [offset, type]: (typeof FIELDS)[number], value: number): void {
  if (offset + 4 > v.byteLength) return;
  const le = true;
  const int = Number.isFinite(value) ? Math.trunc(value) : 0;
  if (type === 'f32') v.setFloat32(offset, value, le);
  else if (type === 'i32') v.setInt32(offset, int, le);
  else if (type === 'i16') v.setInt16(offset, int, le);
  else v.setUint8(offset, int & 0xff);
}

function mutateHeader(raw: Uint8Array, rng: Prng): Uint8Array {
  const out = raw.slice();
  const v = new DataView(out.buffer);
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    if (rng.uniform() < 0.6)
      setField(v, FIELDS[rng.int(FIELDS.length)], INTERESTING[rng.int(INTERESTING.length)]);
    else out[rng.int(Math.min(out.length, 400))] = rng.int(256);
  }
  // Sometimes turn the extension walker on, with whatever sizes follow.
  if (rng.uniform() < 0.2) {
    out[348] = 1;
    v.setInt32(352, [16, -16, 0, 32, -32, 7][rng.int(6)], true);
    v.setInt32(368, [16, -16, 0, -352][rng.int(4)], true);
  }
  return out;
}

interface Source {
  name: string;
  raw: Uint8Array;
  /** gzip of everything after the first 512 bytes: a second gzip member, so a mutated header needs no recompression. */
  tailMember: Uint8Array;
}

function* mutations(sources: Source[], rng: Prng): Generator<{ name: string; bytes: Uint8Array }> {
  let k = 0;
  for (const s of sources) {
    for (let i = 0; i < FILES_PER_SOURCE; i++) {
      const kind = rng.uniform();
      const gz = rng.uniform() < 0.5;
      let bytes: Uint8Array;
      let what: string;
      if (kind < 0.6) {
        const head = mutateHeader(s.raw.subarray(0, 512), rng);
        what = 'header';
        bytes = gz ? concat(gzipSync(head, { level: 1 }), s.tailMember) : concat(head, s.raw.subarray(512));
      } else if (kind < 0.85) {
        what = 'truncated';
        const whole = gz ? concat(gzipSync(s.raw.subarray(0, 512), { level: 1 }), s.tailMember) : s.raw;
        bytes = whole.subarray(0, rng.int(whole.length));
      } else {
        what = 'gzip-bytes';
        const whole = concat(gzipSync(s.raw.subarray(0, 512), { level: 1 }), s.tailMember).slice();
        for (let e = 0; e < 1 + rng.int(4); e++) whole[rng.int(whole.length)] = rng.int(256);
        bytes = whole;
      }
      yield { name: `fuzz/${k++}-${what}-${s.name}${gz || what === 'gzip-bytes' ? '.gz' : ''}`, bytes };
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('NIfTI fuzzer', () => {
  it('ends every mutated or truncated real file in a volume or a finding naming it', async () => {
    const dir = hippocampusDir();
    const picks = ['001', '003', '004', '006'].flatMap((id) => [
      join(dir, 'imagesTr', `hippocampus_${id}.nii.gz`),
      join(dir, 'labelsTr', `hippocampus_${id}.nii.gz`),
    ]);
    const sources: Source[] = [];
    for (const path of picks) {
      const raw = new Uint8Array(gunzipSync(await readFile(path)));
      sources.push({
        name: path.split('/').slice(-2).join('-').replace('.nii.gz', '.nii'),
        raw,
        tailMember: gzipSync(raw.subarray(512), { level: 1 }),
      });
    }
    const started = Date.now();
    const results = await parseAllInWorker(mutations(sources, createPrng(SEED)), {
      timeoutMs: 10_000,
      maxBytes: MAX_BYTES,
    });
    const seconds = (Date.now() - started) / 1000;
    const byCode = new Map<string, number>();
    let volumes = 0;
    let peakRss = 0;
    const bad: string[] = [];
    for (const r of results) {
      peakRss = Math.max(peakRss, r.rss);
      if (r.outcome.kind === 'volume') volumes++;
      else if (r.outcome.kind === 'finding')
        byCode.set(r.outcome.code, (byCode.get(r.outcome.code) ?? 0) + 1);
      else bad.push(`${r.name}: ${r.outcome.kind}${'detail' in r.outcome ? ` ${r.outcome.detail}` : ''}`);
    }
    const findings = [...byCode.values()].reduce((a, b) => a + b, 0);
    console.log(
      `NIfTI fuzzer (seed ${SEED}): ${results.length} files tried in ${seconds.toFixed(1)} s, ` +
        `${volumes} read as volumes, ${findings} findings (${[...byCode].map(([c, n]) => `${c} ${n}`).join(', ')}), ` +
        `${bad.length} crashes or hangs; peak worker RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(bad).toEqual([]);
    expect(results.length).toBe(sources.length * FILES_PER_SOURCE);
    expect(results.length).toBeGreaterThanOrEqual(2000);
    expect(peakRss).toBeLessThan(RSS_BOUND);
  }, 120_000);
});
