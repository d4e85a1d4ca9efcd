/** Copies of one DICOM file are not silently merged into one image: the user is told how many. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { convertDicomFolder } from '../../main/data/dicom';
import { dicomQaDir } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'segnas-dicom-copies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DICOM copies', () => {
  it('names the copies of one file instead of merging them without a word', async () => {
    const series = join(dicomQaDir(), 'In', 'Orientation', 'sag', 'sagdesc36');
    const one = join(series, readdirSync(series).sort()[0]);
    const input = join(dir, 'in');
    mkdirSync(input);
    for (let i = 0; i < 50; i++) copyFileSync(one, join(input, `copy${String(i).padStart(3, '0')}.dcm`));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const out = join(dir, 'out');
      mkdirSync(out);
      const converted = await convertDicomFolder(input, out);
      expect(converted).toHaveLength(1);
      expect(warn.mock.calls.join('\n')).toMatch(
        /in: 49 of 50 DICOM files are exact copies of others \(e\.g\. .*copy001\.dcm = .*copy000\.dcm\); each image was used once/,
      );
    } finally {
      warn.mockRestore();
    }
  }, 60_000);

  it("names the user's folder in dcm2niix's errors, never the converter's copies", async () => {
    const input = join(dir, 'broken');
    mkdirSync(input);
    // The DICM marker after the preamble, then nothing an image could be read from.
    writeFileSync(join(input, 'broken.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICMgarbage')]));
    const out = join(dir, 'broken-out');
    mkdirSync(out);
    const error = await convertDicomFolder(input, out).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`Unable to find any DICOM images in ${input}`));
    expect(error?.message).not.toMatch(/ \/in\b/);
  }, 60_000);
});
