/** `segnas preprocess`: writes the preprocessed S³ volumes of a dataset, to look at in any viewer. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DatasetError, discoverDataset, requireUsable } from '../../data/discover';
import { writeNifti } from '../../data/niftiWrite';
import { type PreprocessTransform, preprocessedVolume } from '../../data/preprocess';
import { preprocessDataset } from '../../data/preprocessDataset';
import { formatProblem } from '../../data/problems';
import {
  OutputRefusedError,
  refuseExisting,
  refuseOutputInside,
  writeFileAtomic,
} from '../../data/safeOutput';

const HELP = `usage: segnas preprocess <dir> --size S --out <dir>

Preprocesses every usable case as training sees it — isotropic resampling at the smallest spacing,
zero-padding to a cube, resizing to S³, robust z-score intensities, labels as classes 0..K−1 — and
writes <out>/imagesTr/<case>.nii.gz (float32) and <out>/labelsTr/<case>.nii.gz (class indices), with
affines that overlay the originals in a viewer, plus <out>/preprocess.json (label mapping and the
transform of every case).

  --size S    output side in voxels (the paper uses 128)
  --out DIR   output folder (created); it may not lie inside the dataset
  --force     replace files already in --out
  --help      this text`;

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    console.error(`segnas preprocess: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const size = Number(values.size);
  if (positionals.length !== 1 || !values.out || !Number.isInteger(size) || size < 2) {
    console.error(`segnas preprocess: give one dataset folder, --size (an integer ≥ 2) and --out\n\n${HELP}`);
    return 2;
  }
  try {
    refuseOutputInside(values.out, [positionals[0]], '--out');
    const report = requireUsable(await discoverDataset(positionals[0]));
    const force = values.force ?? false;
    for (const id of report.usableCaseIds)
      for (const sub of ['imagesTr', 'labelsTr'])
        await refuseExisting(join(values.out, sub, `${id}.nii.gz`), force, 'use --force to replace it');
    await refuseExisting(join(values.out, 'preprocess.json'), force, 'use --force to replace it');
    for (const c of report.cases) for (const p of c.problems) console.error(formatProblem(p));
    const transforms: Record<string, PreprocessTransform> = {};
    const t0 = performance.now();
    for await (const c of preprocessDataset(report, size)) {
      await writeNifti(
        join(values.out, 'imagesTr', `${c.id}.nii.gz`),
        preprocessedVolume(c.image, c.transform),
      );
      await writeNifti(
        join(values.out, 'labelsTr', `${c.id}.nii.gz`),
        preprocessedVolume(c.label!, c.transform),
      );
      transforms[c.id] = c.transform;
    }
    const manifest = { source: report.root, size, labelMapping: report.labelMapping, transforms };
    await writeFileAtomic(join(values.out, 'preprocess.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${report.usableCaseIds.length} cases preprocessed to ${size}³ in ${secs} s → ${values.out}`);
    return 0;
  } catch (e) {
    if (e instanceof DatasetError || e instanceof OutputRefusedError) {
      console.error(`segnas preprocess: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      size: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
