/**
 * `segnas predict --model <dir> --image <nii> --out <nii>`: segments one image with an exported model and
 * writes the segmentation on the image's original grid, with the original label values.
 */
import { parseArgs } from 'node:util';

const HELP = `usage: segnas predict --model <dir> --image <image.nii[.gz]> --out <segmentation.nii[.gz]> [--backend <name>]

Segments one 3D image with a model exported by SegNAS Studio (a folder with model.json and weights.bin).
The image is preprocessed as in training (isotropic resampling, padding to a cube, resizing to the
model's size, intensity normalization); the predicted classes are mapped back onto the image's own grid
and written with the original label values.

options:
  --model <dir>      exported model folder
  --image <file>     input image (NIfTI)
  --out <file>       output segmentation (NIfTI; .nii.gz is compressed)
  --force            replace --out if it exists (never the input image itself)
  --backend <name>   tensorflow-gpu | tensorflow | webgpu | wasm | cpu (default: best available,
                     or the SEGNAS_BACKEND environment variable)
  -h, --help         show this help`;

export async function run(argv: string[]): Promise<number> {
  let values: {
    model?: string;
    image?: string;
    out?: string;
    backend?: string;
    force?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        image: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string' },
        force: { type: 'boolean' },
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
  const missing = (['model', 'image', 'out'] as const).filter((k) => !values[k]);
  if (missing.length) {
    console.error(`segnas predict: missing ${missing.map((m) => `--${m}`).join(', ')}.\n\n${HELP}`);
    return 2;
  }
  try {
    const { refuseExisting, refuseOutputInside } = await import('../../data/safeOutput');
    refuseOutputInside(values.out as string, [values.image as string, values.model as string], '--out');
    await refuseExisting(values.out as string, values.force ?? false);
    const { predictFile } = await import('../../train/predict');
    const { initBackend, parseBackendChoice, describeBackend } = await import('../../compute/backend');
    const backend = await initBackend(parseBackendChoice(values.backend, '--backend'));
    console.error(`backend: ${describeBackend(backend)}`);
    const summary = await predictFile(values.model as string, values.image as string, values.out as string);
    console.log(
      `wrote ${values.out}: ${summary.dims.join('×')} voxels, ${summary.voxelsPerLabel
        .map((n, k) => `${summary.names[k]} ${n}`)
        .join(', ')}`,
    );
    return 0;
  } catch (e) {
    console.error(`segnas predict: ${(e as Error).message}`);
    return 1;
  }
}
