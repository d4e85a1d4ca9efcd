/**
 * `npm run bench:train -- [--backend wasm|cpu|...] [--json] [--steps N] [--sizes 32,64] [--threads N]`
 *
 * ms per training step (forward + backward + Nadam update, batch 1, exponential logarithmic loss) and
 * peak tensor memory for the reference network, SegNAS4 n = 8, p = 3, sup = 0, res = 0, 4 classes, at
 * 32³ and 64³, on each requested backend (default: every backend that initialises here). Also prints
 * the memory estimate used for OOM prediction next to the measured peak, and the ms of the plain
 * tf.conv3d path for one 32³×8→8 convolution against ours, to show where the time went.
 *
 * `--threads N`: threads of our WebAssembly kernels (default SEGNAS_CPU_THREADS or every core).
 *
 * `--engine tfjs|pytorch|both` (default tfjs), `--device cpu|cuda|mps` (PyTorch), `--size S` (instead of
 * --sizes), `--batch B`, `--precision fp32|bf16|fp16` (PyTorch): with pytorch, the PyTorch engine's real
 * step (engines/pytorch, `python -m segnas_torch.bench`) and a plain PyTorch step of the same network are
 * timed too and printed side by side; on a GPU also the paper-scale configuration (n = 16, p = 4, res = 1,
 * K = 20, 128³, batch 3) in fp32 and bf16.
 *
 * `--ab`: instead, on one network per size, alternates steps of the previous implementation (im2col +
 * tfjs matMul on one thread, BN and ReLU composed from tfjs ops), ours on one thread and ours on
 * `--threads` threads, so that all see the same machine load; prints the median of `--steps` steps each
 * and each one's peak tensor memory.
 */

import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendChoice, initBackend } from '../main/compute/backend';
import { findTorchPython, pythonEnv } from '../main/compute/python';
import { pytorchEngineDir } from '../main/compute/runtimeFiles';
import { REFERENCE_NETWORK } from '../main/nas/baselines';
import { EXP_LOG_DEFAULTS, supervisedLoss } from '../main/train/expLogLoss';
import { estimateTrainingBytes } from '../main/train/memoryEstimate';
import { NadamOptimizer } from '../main/train/nadam';
import { buildNetwork } from '../main/train/network';
import { setBatchNormReluFusion } from '../main/train/ops/batchNormRelu';
import { conv3dSame, setConvAlgorithm } from '../main/train/ops/conv3d';
import { kernelThreads, setKernelThreads } from '../main/train/ops/kernelThreads';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    steps: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '32,64' },
    ab: { type: 'boolean', default: false },
    threads: { type: 'string' },
    engine: { type: 'string', default: 'tfjs' },
    device: { type: 'string', default: 'cpu' },
    size: { type: 'string' },
    batch: { type: 'string', default: '1' },
    precision: { type: 'string' },
    python: { type: 'string' },
    'paper-size': { type: 'string', default: '128' },
    paper: { type: 'boolean', default: false },
    startup: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm run bench:train -- [--engine tfjs|pytorch|both] [--device cpu|cuda|mps] [--size S] [--batch B] [--precision fp32|bf16|fp16[,…]] [--paper [--paper-size 128]] [--python PATH] [--backend wasm|cpu|webgpu|tensorflow] [--json] [--steps N] [--sizes 32,64] [--threads N] [--ab] [--startup N]',
  );
  process.exit(0);
}

if (values.startup !== undefined) {
  // Time from job start to the first step of N candidates in a row on one trainer process (bench/firstStep.ts).
  const { firstStepBench } = await import('./firstStep');
  await firstStepBench({
    engine: values.engine === 'pytorch' ? 'pytorch' : 'tfjs',
    device: values.device ?? 'cpu',
    size: Number(values.size ?? 32),
    candidates: Number(values.startup),
    json: values.json ?? false,
    ...(values.python && { python: values.python }),
  });
  process.exit(0);
}

const CLASSES = 4;
const steps = Number(values.steps);
const sizes = (values.size ?? values.sizes ?? '32,64').split(',').map(Number);
const batch = Number(values.batch);
const engines = values.engine === 'both' ? ['tfjs', 'pytorch'] : [values.engine ?? 'tfjs'];
if (!engines.every((e) => e === 'tfjs' || e === 'pytorch')) {
  console.error(`bench:train: --engine must be tfjs, pytorch or both (got ${values.engine})`);
  process.exit(2);
}

interface Row {
  backend: string;
  device: string;
  /** Threads of our WebAssembly kernels (wasm and cpu backends). */
  threads: number;
  size: number;
  msPerStep: number;
  msPerStepMin: number;
  cpuMsPerStep: number;
  peakTensorMB: number;
  estimatedMB: number;
  params: number;
}

function timeMs(fn: () => void, reps: number): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

function trainingStep(size: number) {
  const net = buildNetwork(REFERENCE_NETWORK, {
    classes: CLASSES,
    size,
    inChannels: 1,
    dropout: 0.2,
    seed: 1,
  });
  const x = tf.randomNormal([batch, size, size, size, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
  const labels = tf.randomUniform([batch, size, size, size], 0, CLASSES, 'int32', 2);
  const oneHot = tf.oneHot(labels, CLASSES);
  const lossConfig = { ...EXP_LOG_DEFAULTS, labelWeights: Array(CLASSES).fill(1) };
  const optimizer = new NadamOptimizer();
  const step = () => {
    const loss = optimizer.minimize(
      () => {
        const out = net.apply(x, true);
        return supervisedLoss(out.probs, out.aux, oneHot, lossConfig);
      },
      true,
      net.trainable,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  const dispose = () => {
    optimizer.dispose();
    tf.dispose([x, labels, oneHot]);
    net.dispose();
  };
  return { net, step, dispose };
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

/** Previous vs current implementation, steps interleaved (see the header). */
async function abSize(size: number, threads: number): Promise<string> {
  const variants = [
    {
      name: 'im2col + tfjs matMul, BN+ReLU as tfjs ops, 1 thread',
      conv: 'im2col',
      fused: false,
      threads: 1,
    },
    { name: 'ours, 1 thread', conv: 'direct', fused: true, threads: 1 },
    { name: `ours, ${threads} threads`, conv: 'direct', fused: true, threads },
  ] as const;
  const use = async (v: (typeof variants)[number]) => {
    setConvAlgorithm(v.conv);
    setBatchNormReluFusion(v.fused);
    if (kernelThreads().threads !== v.threads) await setKernelThreads(v.threads);
  };
  const { step, dispose } = trainingStep(size);
  const times = variants.map(() => [] as number[]);
  const peaks: number[] = [];
  for (const v of variants) {
    await use(v);
    step();
    const before = tf.memory().numBytes;
    peaks.push(((await tf.profile(step)).peakBytes - before) / 2 ** 20);
  }
  for (let i = 0; i < steps; i++)
    for (const [j, v] of variants.entries()) {
      await use(v);
      const t0 = performance.now();
      step();
      times[j].push(performance.now() - t0);
    }
  await use(variants[2]);
  dispose();
  return variants
    .map(
      (v, j) =>
        `${size}³ ${v.name}: median ${median(times[j]).toFixed(0)} ms/step (${times[j].map((t) => t.toFixed(0)).join(' ')}), peak ${peaks[j].toFixed(0)} MB above live tensors`,
    )
    .join('\n');
}

async function benchSize(backend: string, device: string, size: number): Promise<Row> {
  const { net, step, dispose } = trainingStep(size);
  step(); // warm-up: kernels compiled, optimizer slots created
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const before = tf.memory().numBytes;
  const profile = await tf.profile(step);
  const row: Row = {
    backend,
    device,
    threads: kernelThreads().threads,
    size,
    msPerStep: times.reduce((a, b) => a + b, 0) / times.length,
    msPerStepMin: Math.min(...times),
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    // peak above what lives between steps + weights, grads and the two Nadam slots
    peakTensorMB: (profile.peakBytes - before + net.paramCount * 4 * 4) / 2 ** 20,
    estimatedMB: estimateTrainingBytes(REFERENCE_NETWORK, { classes: CLASSES, size, batch }) / 2 ** 20,
    params: net.paramCount,
  };
  dispose();
  return row;
}

function convComparison(): { ours: number; tfConv3d: number } {
  const x = tf.randomNormal([1, 32, 32, 32, 8]) as tf.Tensor5D;
  const w = tf.randomNormal([3, 3, 3, 8, 8]) as tf.Tensor5D;
  // tidy's callbacks return nothing: tidy walks a returned TypedArray element by element
  const ours = timeMs(() => tf.tidy(() => void conv3dSame(x, w).dataSync()), 3);
  const tfConv3d = timeMs(() => tf.tidy(() => void tf.conv3d(x, w, 1, 'same').dataSync()), 2);
  tf.dispose([x, w]);
  return { ours, tfConv3d };
}

const HEADER =
  'backend  threads  size  ms/step(mean)  ms/step(min)  cpu-ms/step  peak MB  estimate MB  params';
function formatRow(r: Row): string {
  const cells = [r.msPerStep, r.msPerStepMin, r.cpuMsPerStep, r.peakTensorMB, r.estimatedMB].map((v) =>
    v.toFixed(0),
  );
  const widths = [13, 12, 11, 7, 11];
  return `${r.backend.padEnd(8)} ${String(r.threads).padStart(7)} ${String(r.size).padStart(5)}  ${cells.map((c, i) => c.padStart(widths[i])).join('  ')}  ${r.params}`;
}

if (values.threads !== undefined) await setKernelThreads(Number(values.threads));
if (values.ab) {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const threads = kernelThreads().threads;
  for (const size of sizes) console.log(await abSize(size, threads));
  process.exit(0);
}

if (!values.json) {
  console.log(
    `reference network: SegNAS4 n=8 p=3 sup=0 res=0, 4 classes, batch ${batch}, Nadam, exp-log loss`,
  );
  if (engines.includes('tfjs')) console.log(HEADER);
}
const requested = (engines.includes('tfjs') ? (values.backend ?? ['wasm', 'cpu']) : []) as BackendChoice[];
const rows: Row[] = [];
const convs: Array<{ backend: string; ours: number; tfConv3d: number }> = [];
for (const choice of requested) {
  let info: Awaited<ReturnType<typeof initBackend>>;
  try {
    info = await initBackend(choice);
  } catch (e) {
    console.error(`bench:train: backend ${choice} unavailable: ${(e as Error).message}`);
    continue;
  }
  if (info.choice !== choice) {
    console.error(`bench:train: backend ${choice} unavailable here (got ${info.choice}); skipped`);
    continue;
  }
  await tf.setBackend(info.name);
  for (const size of sizes) {
    // the pure-JS backend takes minutes per 64³ step; it is measured at 32³ only unless asked
    if (info.name === 'cpu' && size > 32 && !values.sizes?.includes(String(size))) continue;
    const row = await benchSize(info.name, info.device, size);
    rows.push(row);
    if (!values.json) console.log(formatRow(row));
  }
  convs.push({ backend: info.name, ...convComparison() });
}

/** One run of the PyTorch engine's benchmark (a fresh process per configuration). */
function torchBench(python: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-m', 'segnas_torch.bench', ...args],
      { cwd: pytorchEngineDir(), env: pythonEnv(), maxBuffer: 1 << 20 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}')),
    );
  });
}

const torchRows: Record<string, unknown>[] = [];
if (engines.includes('pytorch')) {
  const python = (await findTorchPython(values.python)).python;
  const common = ['--device', values.device ?? 'cpu', '--steps', String(steps)];
  const precisions = values.precision ? values.precision.split(',') : [undefined];
  const configs: string[][] = sizes.flatMap((size) =>
    precisions.map((precision) => [
      '--size',
      String(size),
      '--batch',
      String(batch),
      ...(precision ? ['--precision', precision] : []),
    ]),
  );
  if (values.paper || values.device === 'cuda') {
    // The paper's scale: n=16 p=4 res=1, 20 classes, 128³, batch 3; fp32 (TF32), bf16, and bf16 with
    // channels_last_3d activations, whose speed depends on the GPU's cuDNN kernels.
    const paper = JSON.stringify({
      n: 16,
      p: 4,
      sup: false,
      res: true,
      block: { nodes: 3, ops: [2, 0, 2] },
      extras: {},
    });
    const at = ['--size', values['paper-size'] ?? '128', '--batch', '3', '--classes', '20', '--spec', paper];
    configs.push([...at, '--precision', 'fp32'], [...at, '--precision', 'bf16']);
    configs.push([...at, '--precision', 'bf16', '--channels-last']);
  }
  if (!values.json)
    console.log(
      '\nengine                 device  precision  size  batch  ms/step(mean)  ms/step(min)  peak MB  params',
    );
  for (const config of configs)
    for (const plain of [false, true]) {
      const args = [...common, ...config, ...(plain ? ['--plain'] : [])];
      // One configuration that fails (out of memory, an unsupported precision) is a row saying so; the
      // others still run and report.
      const row = await torchBench(python, args).catch((e: Error) => ({
        engine: `pytorch${plain ? ' (plain step)' : ''}`,
        args: args.join(' '),
        error: e.message.split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 500),
      }));
      torchRows.push(row);
      if (values.json) continue;
      if ('error' in row) console.log(`${String(row.engine).padEnd(22)} failed: ${row.args}: ${row.error}`);
      else
        console.log(
          `${String(row.engine).padEnd(22)} ${String(row.device).padEnd(7)} ${String(row.precision).padEnd(10)} ${String(row.size).padStart(4)} ${String(row.batch).padStart(6)}  ${(row.msPerStep as number).toFixed(0).padStart(13)}  ${(row.msPerStepMin as number).toFixed(0).padStart(12)}  ${row.peakMB == null ? '–'.padStart(7) : (row.peakMB as number).toFixed(0).padStart(7)}  ${row.params}`,
        );
    }
}

if (values.json) {
  console.log(
    JSON.stringify(
      {
        network: `SegNAS4 n=8 p=3 sup=0 res=0, K=4, batch ${batch}`,
        rows,
        pytorch: torchRows,
        conv32: convs,
        recoveredWakeups: kernelThreads().recoveredWakeups,
      },
      null,
      2,
    ),
  );
} else {
  for (const c of convs)
    console.log(
      `${c.backend}: one 32³×8→8 3×3×3 conv forward: ours ${c.ours.toFixed(0)} ms, tf.conv3d ${c.tfConv3d.toFixed(0)} ms`,
    );
  // lost Atomics wake-ups that only a wait's timeout caught (see kernelThreads.ts); 0 expected
  console.log(`kernel threads: ${kernelThreads().recoveredWakeups} wake-ups recovered by timeout`);
}
