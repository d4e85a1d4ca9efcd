/** Files built to hurt the reader: each ends in a finding naming the file, in bounded time and memory. */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { discoverDataset } from '../../main/data/discover';
import { serializeNifti, writeNifti } from '../../main/data/niftiWrite';
import { allocateVoxels, makeVolume } from '../../main/data/volume';
import { withTempDir } from './helpers';
import { parseAllInWorker } from './niftiInWorker';

function tinyNifti(): Uint8Array {
  const data = allocateVoxels('uint8', 8);
  return serializeNifti(makeVolume({ dims: [2, 2, 2], data, datatype: 'uint8' }));
}

function patch(bytes: Uint8Array, edit: (v: DataView) => void, length = bytes.length): Uint8Array {
  const out = new Uint8Array(Math.max(length, bytes.length));
  out.set(bytes);
  edit(new DataView(out.buffer));
  return out.subarray(0, length);
}

describe('hostile NIfTI files', () => {
  it('a header extension with a negative size ends in a finding, not an endless loop', async () => {
    // vox_offset 400, extension flag set, +16 at 352 then −16 at 368: the walk goes back and forth.
    const bytes = patch(
      tinyNifti(),
      (v) => {
        v.setFloat32(108, 400, true);
        v.setUint8(348, 1);
        v.setInt32(352, 16, true);
        v.setInt32(368, -16, true);
      },
      408,
    );
    const [r] = await parseAllInWorker([{ name: 'loop.nii', bytes }], { timeoutMs: 5000 });
    expect(r.outcome).toEqual({ kind: 'volume' });
    const [gz] = await parseAllInWorker([{ name: 'loop.nii.gz', bytes: gzipSync(bytes) }], {
      timeoutMs: 5000,
    });
    expect(gz.outcome).toEqual({ kind: 'volume' });
  });

  it('a gzip bomb stops at what the header promises, with an error naming the file', async () => {
    // A 2×2×2 header followed by 16 MiB of zeros: a few KiB compressed.
    const head = tinyNifti();
    const bomb = new Uint8Array(16 * 1024 ** 2);
    bomb.set(head);
    const [r] = await parseAllInWorker([{ name: 'bomb.nii.gz', bytes: gzipSync(bomb, { level: 1 }) }]);
    expect(r.outcome).toEqual({ kind: 'finding', code: 'bad-header' });
    // A header that promises a huge volume is held to the cap.
    const big = patch(bomb, (v) => {
      for (const o of [42, 44, 46]) v.setInt16(o, 1000, true);
    });
    const [capped] = await parseAllInWorker([{ name: 'big.nii.gz', bytes: gzipSync(big, { level: 1 }) }], {
      maxBytes: 4 * 1024 ** 2,
    });
    expect(capped.outcome).toEqual({ kind: 'finding', code: 'too-large' });
  });

  it('a NaN vox_offset is a damaged header, not an all-zero volume', async () => {
    const bytes = patch(tinyNifti(), (v) => v.setFloat32(108, Number.NaN, true));
    const [r] = await parseAllInWorker([{ name: 'nan.nii', bytes }]);
    expect(r.outcome).toEqual({ kind: 'finding', code: 'bad-header' });
  });
});

describe('label maps that are not label maps', () => {
  it('a label map with thousands of values and no dataset.json is refused, not made into classes', async () => {
    await withTempDir(async (dir) => {
      const n = 16 * 16 * 16;
      const image = allocateVoxels('float32', n);
      const label = allocateVoxels('int16', n);
      for (let i = 0; i < n; i++) {
        image[i] = Math.sin(i);
        label[i] = i % 3000;
      }
      await writeNifti(
        join(dir, 'a.nii.gz'),
        makeVolume({ dims: [16, 16, 16], data: image, datatype: 'float32' }),
      );
      await writeNifti(
        join(dir, 'a_seg.nii.gz'),
        makeVolume({ dims: [16, 16, 16], data: label, datatype: 'int16' }),
      );
      const report = await discoverDataset(dir);
      const found = report.cases[0].problems.find((p) => p.code === 'too-many-labels');
      expect(found?.file).toBe(join(dir, 'a_seg.nii.gz'));
      expect(found?.message).toMatch(/3000 distinct label values/);
      expect(report.labelMapping.values.length).toBeLessThan(65);
      expect(report.usableCaseIds).toEqual([]);
    });
  });
});
