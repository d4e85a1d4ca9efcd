/**
 * `segnas predict --model <dir> --image <nii> --out <nii>`: segments one image with an exported model and
 * writes the segmentation on the image's original grid, with the original label values.
 */
import { defineCommand, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'predict',
  usage:
    'segnas predict --model <dir> --image <image.nii[.gz]> --out <segmentation.nii[.gz]> [--backend <name>]',
  description: `Segments one 3D image with a model exported by SegNAS Studio (a folder with model.json and weights.bin).
The image is preprocessed as in training (isotropic resampling, padding to a cube, resizing to the
model's size, intensity normalization); the predicted classes are mapped back onto the image's own grid
and written with the original label values.`,
  options: {
    model: { type: 'string', arg: '<dir>', help: 'exported model folder' },
    image: { type: 'string', arg: '<file>', help: 'input image (NIfTI)' },
    out: { type: 'string', arg: '<file>', help: 'output segmentation (NIfTI; .nii.gz is compressed)' },
    backend: {
      type: 'string',
      arg: '<name>',
      help: `tensorflow-gpu | tensorflow | webgpu | wasm | cpu (default: best available,
or the SEGNAS_BACKEND environment variable)`,
    },
  },
  async action({ values }) {
    const { model, image, out } = values;
    if (!model || !image || !out) {
      const missing = (['model', 'image', 'out'] as const).filter((k) => !values[k]);
      throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
    }
    // Loaded here so that `segnas predict --help` does not load TensorFlow.
    const { predictFile } = await import('../../train/predict');
    const { initBackend, parseBackendChoice, describeBackend } = await import('../../compute/backend');
    const backend = await initBackend(parseBackendChoice(values.backend, '--backend'));
    console.error(`backend: ${describeBackend(backend)}`);
    const summary = await predictFile(model, image, out);
    console.log(
      `wrote ${out}: ${summary.dims.join('×')} voxels, ${summary.voxelsPerLabel
        .map((n, k) => `${summary.names[k]} ${n}`)
        .join(', ')}`,
    );
    return 0;
  },
});
