/** `segnas preprocess`: writes the preprocessed S³ volumes of a dataset, to look at in any viewer. */
import { join } from 'node:path';
import { discoverDataset, requireUsable } from '../../data/discover';
import { writeNifti, writeNiftiChannels } from '../../data/niftiWrite';
import { type PreprocessTransform, preprocessedVolume } from '../../data/preprocess';
import { preprocessDataset } from '../../data/preprocessDataset';
import { formatProblem } from '../../data/problems';
import { claimOutputFolder, writeFileAtomic } from '../../data/safeOutput';
import { defineCommand, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'preprocess',
  usage: 'segnas preprocess <dir> --size S --out <dir>',
  description: `Preprocesses every usable case as training sees it — isotropic resampling at the smallest spacing,
zero-padding to a cube, resizing to S³, robust z-score intensities, labels as classes 0..K−1 — and
writes <out>/imagesTr/<case>.nii.gz (float32) and <out>/labelsTr/<case>.nii.gz (class indices), with
affines that overlay the originals in a viewer, plus <out>/preprocess.json (label mapping and the
transform of every case).`,
  options: {
    size: { type: 'string', arg: 'S', help: 'output side in voxels (the paper uses 128)' },
    out: { type: 'string', arg: 'DIR', help: 'output folder (created); it may not lie inside the dataset' },
    force: { type: 'boolean', help: 'replace files already in --out' },
  },
  positionals: true,
  async action({ values, positionals }) {
    const { out } = values;
    const size = Number(values.size);
    if (positionals.length !== 1 || !out || !Number.isInteger(size) || size < 2)
      throw new UsageError('give one dataset folder, --size (an integer ≥ 2) and --out');
    await claimOutputFolder(out, {
      force: values.force,
      inputs: [positionals[0]],
      workspace: process.env.SEGNAS_WORKSPACE,
      what: '--out',
      how: 'use --force to replace files in it, or choose an empty folder',
    });
    const report = requireUsable(await discoverDataset(positionals[0]));
    for (const c of report.cases) for (const p of c.problems) console.error(formatProblem(p));
    const transforms: Record<string, PreprocessTransform> = {};
    const t0 = performance.now();
    for await (const c of preprocessDataset(report, size)) {
      const n = size ** 3;
      const channels = c.image.length / n;
      const imagePath = join(out, 'imagesTr', `${c.id}.nii.gz`);
      // Several channels are written as one 4D image, as MSD stores them.
      if (channels === 1) await writeNifti(imagePath, preprocessedVolume(c.image, c.transform));
      else
        await writeNiftiChannels(
          imagePath,
          Array.from({ length: channels }, (_, k) =>
            preprocessedVolume(c.image.subarray(k * n, (k + 1) * n), c.transform),
          ),
        );
      await writeNifti(join(out, 'labelsTr', `${c.id}.nii.gz`), preprocessedVolume(c.label!, c.transform));
      transforms[c.id] = c.transform;
    }
    const manifest = { source: report.root, size, labelMapping: report.labelMapping, transforms };
    await writeFileAtomic(join(out, 'preprocess.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${report.usableCaseIds.length} cases preprocessed to ${size}³ in ${secs} s → ${out}`);
    return 0;
  },
});
