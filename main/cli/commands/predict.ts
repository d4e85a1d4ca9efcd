/**
 * `segnas predict --model <dir> --input <file|folder|dicom-folder>... --out <folder>`: segments a batch of
 * images with an exported model in one process, with progress and a summary table. The single-file form
 * `--image <nii> --out <nii>` writes one segmentation to the named file.
 */
import { parseArgs } from 'node:util';
import type { ApplyItem, ApplyProgress } from '../../compute/applyTypes';
import { formatDuration, progressBar } from '../progress';

const HELP = `usage: segnas predict --model <dir> --input <path> [--input <path>...] --out <folder> [options]
       segnas predict --model <dir> --image <image.nii[.gz]> --out <segmentation.nii[.gz]>

Segments 3D images with a model exported by SegNAS Studio (a folder with model.json and weights.bin),
all in one process. Each image is preprocessed as in training (isotropic resampling, padding to a cube,
resizing to the model's size, intensity normalization); the predicted classes are mapped back onto the
image's own grid and written with the original label values, as <out>/<image>.nii.gz. A summary table
(image, series, size, volume of each structure in mL) is printed and written to <out>/summary.tsv.

Inputs: NIfTI files (.nii, .nii.gz), folders of them, and folders of DICOM series (converted with
dcm2niix; one series is one image, written with its converted image as <id>_image.nii.gz).

options:
  --model <dir>      exported model folder
  --input <path>     image file or folder (repeatable)
  --image <file>     one input image (the single-file form; --out is then the output file)
  --out <path>       output folder (or output file with --image)
  --first-volume     use the first volume of 4-D DICOM series instead of refusing them
  --json             print the summary as JSON instead of a table
  --backend <name>   tensorflow-gpu | tensorflow | webgpu | wasm | cpu (default: best available,
                     or the SEGNAS_BACKEND environment variable)
  -h, --help         show this help`;

interface Options {
  model?: string;
  input?: string[];
  image?: string;
  out?: string;
  'first-volume'?: boolean;
  json?: boolean;
  backend?: string;
  help?: boolean;
}

/** The summary as an aligned table: one row per image, volumes per structure in mL. */
export function formatSummary(items: readonly ApplyItem[]): string {
  const names = items[0]?.structures.map((s) => s.name) ?? [];
  const head = ['image', 'series', 'size', 'spacing (mm)', ...names.map((n) => `${n} (mL)`), 'seconds'];
  const rows = items.map((it) => [
    it.id,
    it.series ? `${it.series.number ?? '?'} ${it.series.description}` : '',
    it.dims.join('×'),
    it.spacing.map((s) => s.toFixed(2)).join('×'),
    ...it.structures.map((s) => s.ml.toFixed(2)),
    it.seconds.toFixed(2),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 || i === 1 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

function progressLine(p: ApplyProgress): string | undefined {
  if (p.phase === 'reading') return 'reading inputs (converting DICOM series, if any)…';
  if (p.phase !== 'segmenting' || !p.item) return undefined;
  const eta = p.etaSeconds !== undefined && p.done < p.total ? `  ETA ${formatDuration(p.etaSeconds)}` : '';
  return `${progressBar(p.done, p.total)} ${p.done}/${p.total}  ${p.item.id}${eta}`;
}

export async function run(argv: string[]): Promise<number> {
  let values: Options;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        input: { type: 'string', multiple: true },
        image: { type: 'string' },
        out: { type: 'string' },
        'first-volume': { type: 'boolean' },
        json: { type: 'boolean' },
        backend: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`segnas predict: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const inputs = [...(values.input ?? []), ...(values.image ? [values.image] : [])];
  const missing = [
    ...(values.model ? [] : ['--model']),
    ...(inputs.length ? [] : ['--input']),
    ...(values.out ? [] : ['--out']),
  ];
  if (missing.length) {
    console.error(`segnas predict: missing ${missing.join(', ')}.\n\n${HELP}`);
    return 2;
  }
  if (values.image && values.input?.length) {
    console.error('segnas predict: give either --image (one file) or --input (files and folders), not both.');
    return 2;
  }
  try {
    const { applyModel } = await import('../../compute/applyModel');
    const { parseBackendChoice } = await import('../../compute/backend');
    const tty = process.stderr.isTTY;
    const result = await applyModel(
      {
        modelDir: values.model as string,
        inputs,
        outDir: values.out as string,
        outFile: values.image ? values.out : undefined,
        dicom: { firstVolume: values['first-volume'] },
        backend: parseBackendChoice(values.backend, '--backend'),
      },
      (p) => {
        const line = progressLine(p);
        if (!line) return;
        if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else console.error(line);
      },
    );
    if (tty) process.stderr.write('\n');
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(formatSummary(result.items));
      console.log(
        `\n${result.items.length} segmentation(s) in ${result.outDir} (${formatDuration(result.seconds)})${
          result.summaryPath ? `; summary: ${result.summaryPath}` : ''
        }`,
      );
    }
    return 0;
  } catch (e) {
    console.error(`\nsegnas predict: ${(e as Error).message}`);
    return 1;
  }
}
