/**
 * `segnas predict --model <dir> --input <file|folder|dicom-folder>... --out <folder>`: segments a batch of
 * images with an exported model in one trainer process of the engine that made it, with progress and a
 * summary table. The single-file form `--image <nii> --out <nii>` writes one segmentation to the named file.
 */
import type { ApplyItem, ApplyProgress } from '../../compute/applyTypes';
import { TORCH_DEVICES, type TorchDevice } from '../../core/searchConfig';
import { defineCommand, experimentIdArg, intOption, UsageError } from '../command';

/** The model folder --experiment/--candidate name, said on stderr (final or search model). */
async function modelOfExperiment(values: {
  experiment?: string;
  candidate?: string;
  workspace?: string;
}): Promise<string> {
  const id = experimentIdArg([values.experiment as string]);
  const seq = values.candidate === undefined ? undefined : intOption('candidate', values.candidate, 0, 0);
  const [{ openStore }, { experimentModel }] = await Promise.all([
    import('../../store'),
    import('../../search/finalTraining'),
  ]);
  const store = openStore(values.workspace);
  try {
    const model = await experimentModel(store, id, seq);
    console.error(
      `experiment ${id}, candidate #${model.seq}: ${model.final ? 'final model (trained on train + validation)' : "the search's model"} ${model.dir}`,
    );
    return model.dir;
  } finally {
    store.close();
  }
}

import { formatDuration, progressBar } from '../progress';

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
  // An image unlike the training data segments without error but not necessarily well: say so below.
  const warnings = items.flatMap((it) => (it.warnings ?? []).map((w) => `warning: ${it.id}: ${w}`));
  return [line(head), ...rows.map(line), ...(warnings.length ? ['', ...warnings] : [])].join('\n');
}

function progressLine(p: ApplyProgress): string | undefined {
  if (p.phase === 'reading') return 'reading inputs (converting DICOM series, if any)…';
  if (p.phase !== 'segmenting' || !p.item) return undefined;
  const eta = p.etaSeconds !== undefined && p.done < p.total ? `  ETA ${formatDuration(p.etaSeconds)}` : '';
  return `${progressBar(p.done, p.total)} ${p.done}/${p.total}  ${p.item.id}${eta}`;
}

export const { run } = defineCommand({
  name: 'predict',
  usage: `segnas predict --model <dir> --input <path> [--input <path>...] --out <folder> [options]
       segnas predict --model <dir> --image <image.nii[.gz]> --out <segmentation.nii[.gz]>
       segnas predict --experiment <id> [--candidate <seq>] --input <path>... --out <folder> [options]`,
  description: `Segments 3D images with a model exported by SegNAS Studio (a folder with model.json and weights.bin),
all in one trainer process of the engine that made the model (model.json says which: TensorFlow.js or
PyTorch). Each image is preprocessed as in training: under the paper protocol isotropic resampling, padding
to a cube, resizing to the model's size, intensity normalization; under the native protocol (the model
records its plan) resampling to the plan's target spacing, the plan's per-channel intensity scheme, and
sliding-window segmentation in patches. The predicted classes are mapped back onto the
image's own grid and written with the original label values, as <out>/<image>.nii.gz. A summary table
(image, series, size, volume of each structure in mL) is printed and written to <out>/summary.tsv.

Inputs: NIfTI files (.nii, .nii.gz), folders of them, and folders of DICOM series (converted with
dcm2niix; one series is one image, written with its converted image as <id>_image.nii.gz).

Instead of --model, --experiment <id> (and optionally --candidate <seq>) picks a model of an experiment
in the workspace: the candidate's final model (segnas evaluate --final-epochs) when it has one, else the
model the search kept; without --candidate, the best-ranked candidate with a final model, else the
search's best.`,
  options: {
    model: { type: 'string', arg: '<dir>', help: 'exported model folder' },
    experiment: {
      type: 'string',
      arg: '<id>',
      help: "an experiment's model instead of --model (its final model when there is one)",
    },
    candidate: {
      type: 'string',
      arg: '<seq>',
      help: 'with --experiment: this candidate (default: the best)',
    },
    input: { type: 'string', multiple: true, arg: '<path>', help: 'image file or folder (repeatable)' },
    image: {
      type: 'string',
      arg: '<file>',
      help: 'one input image (the single-file form; --out is then the output file)',
    },
    out: {
      type: 'string',
      arg: '<path>',
      help: 'output folder (or output file with --image); never inside an input or the model',
    },
    force: {
      type: 'boolean',
      help: "write into an --out folder that already holds files (or replace the --image form's output file)",
    },
    'first-volume': {
      type: 'boolean',
      help: 'use the first volume of 4-D DICOM series instead of refusing them',
    },
    mirror: {
      type: 'boolean',
      help: 'native-protocol models: average each sliding window over the 8 mirrorings of the axes (better boundaries, 8× the time)',
    },
    json: { type: 'boolean', help: 'print the summary as JSON instead of a table' },
    backend: {
      type: 'string',
      arg: '<name>',
      help: `TensorFlow.js models: tensorflow-gpu | tensorflow | webgpu | wasm | cpu (default: best
available, or the SEGNAS_BACKEND environment variable)`,
    },
    device: {
      type: 'string',
      arg: '<name>',
      help: `PyTorch models: ${TORCH_DEVICES.join(' | ')} (default: the best torch sees)`,
    },
    python: {
      type: 'string',
      arg: '<path>',
      help: 'PyTorch models: the Python interpreter with torch (default: $SEGNAS_PYTHON, else python3)',
    },
  },
  workspace: true,
  async action({ values }) {
    const inputs = [...(values.input ?? []), ...(values.image ? [values.image] : [])];
    if (values.model && values.experiment)
      throw new UsageError('give either --model (a folder) or --experiment (an experiment of the workspace)');
    if (values.candidate !== undefined && !values.experiment)
      throw new UsageError('--candidate needs --experiment');
    const modelDir = values.experiment ? await modelOfExperiment(values) : values.model;
    const missing = [
      ...(modelDir ? [] : ['--model or --experiment']),
      ...(inputs.length ? [] : ['--input']),
      ...(values.out ? [] : ['--out']),
    ];
    if (missing.length) throw new UsageError(`missing ${missing.join(', ')}`);
    if (values.image && values.input?.length)
      throw new UsageError('give either --image (one file) or --input (files and folders), not both');
    const { claimOutputFile, claimOutputFolder } = await import('../../data/safeOutput');
    // Earlier results in --out would be replaced one by one, leaving summary.tsv describing a mix.
    const rules = {
      force: values.force ?? false,
      inputs: [...inputs, modelDir as string],
      workspace: process.env.SEGNAS_WORKSPACE,
      what: '--out',
    };
    if (values.image) await claimOutputFile(values.out as string, rules);
    else await claimOutputFolder(values.out as string, rules);
    const device = values.device;
    if (device !== undefined && !(TORCH_DEVICES as readonly string[]).includes(device))
      throw new UsageError(`--device ${device}: use one of ${TORCH_DEVICES.join(', ')}`);
    // The network runs in a trainer process: this one never loads TensorFlow.js, except to check --backend.
    const tfjsBackend = values.backend
      ? (await import('../../compute/backend')).parseBackendChoice(values.backend, '--backend')
      : undefined;
    const { applyModel } = await import('../../compute/applyModel');
    const tty = process.stderr.isTTY;
    // SIGTERM or Ctrl-C stops the run through its signal, so its trainer and temporary folder go too;
    // a second one exits at once (the temporary folder is still removed on exit).
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      console.error(`\n${signal}: stopping; segmentations written so far stay in ${values.out}`);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const result = await applyModel(
      {
        signal: stop.signal,
        modelDir: modelDir as string,
        inputs,
        outDir: values.out as string,
        outFile: values.image ? values.out : undefined,
        dicom: { firstVolume: values['first-volume'] },
        mirror: values.mirror === true,
        predictor: {
          ...(tfjsBackend && { tfjsBackend }),
          ...(device && { device: device as TorchDevice }),
          ...(values.python && { python: values.python }),
        },
      },
      (p) => {
        const line = progressLine(p);
        if (!line) return;
        if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else console.error(line);
      },
    )
      .catch((error: unknown) => {
        if (stop.signal.aborted) return undefined;
        throw error;
      })
      .finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
    if (!result) return 130;
    if (tty) process.stderr.write('\n');
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(formatSummary(result.items));
      console.log(
        `\n${result.items.length} segmentation(s) in ${result.outDir} (${formatDuration(result.seconds)})${
          result.summaryPath ? `; summary: ${result.summaryPath}` : ''
        }`,
      );
      if (result.trainer)
        console.log(
          `segmented by ${result.trainer.version} on ${result.trainer.device} (trainer process ${result.trainer.pid})`,
        );
    }
    return 0;
  },
});
