/**
 * The trainer process (forked by trainerProcess.ts): reads protocol jobs from stdin, trains one candidate
 * at a time on this process' backend, writes protocol messages to stdout. See protocol.ts.
 * Started with `--job-file F --events E --result R` it runs in file mode instead (fileProtocol.ts): the
 * one job in F, events appended to E, the final message written to R, then it exits.
 *
 * stdout carries protocol lines only, so every console method is pointed at stderr before TensorFlow.js
 * (which prints notices with console.log/warn) is loaded; that is why the engine modules are imported
 * dynamically below.
 */
import { rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  appendEvent,
  type FileModePaths,
  parseFileModeArgs,
  readJobFile,
  writeAtomically,
} from './fileProtocol';
import {
  encodeMessage,
  type FromTrainer,
  PROTOCOL_VERSION,
  type PredictJob,
  parseToTrainer,
  readVolumeFiles,
  type TrainJob,
} from './protocol';

const writeOut = process.stdout.write.bind(process.stdout);
console.log = console.error;
console.info = console.error;
console.warn = console.error;
console.debug = console.error;

// Ctrl-C in a terminal signals the whole process group. The parent decides what an interrupt means
// (stop the search, cancel this job, retrain it on resume) and tells us over stdin; dying here would
// turn the user's interrupt into a failed candidate. SIGTERM keeps its default (exit), and losing the
// parent (stdin or the IPC channel closing) still ends this process, below.
process.on('SIGINT', () => {});

let fileMode: FileModePaths | undefined;
try {
  fileMode = parseFileModeArgs(process.argv.slice(2));
} catch (e) {
  console.error(`trainer: ${(e as Error).message}`);
  process.exit(2);
}

const send = (msg: FromTrainer): void => {
  if (!fileMode) writeOut(encodeMessage(msg));
  else if (msg.type === 'result' || msg.type === 'failed')
    writeAtomically(fileMode.result, encodeMessage(msg));
  else appendEvent(fileMode.events, msg);
};

const [
  { initBackend },
  { trainCandidate },
  { buildNetwork },
  { saveModel, loadModel },
  { isOutOfMemoryError },
  { predictClasses },
  { slidingWindowPredict },
  { version_core },
  { readCheckpoint, writeCheckpoint, removeCheckpoint, trainingFingerprint },
] = await Promise.all([
  import('./backend'),
  import('../train/trainer'),
  import('../train/network'),
  import('../train/modelIO'),
  import('./outOfMemory'),
  import('../train/predict'),
  import('../train/slidingWindow'),
  import('@tensorflow/tfjs-core'),
  import('../train/checkpoint'),
]);

const backend = await initBackend();
send({
  type: 'ready',
  protocol: PROTOCOL_VERSION,
  pid: process.pid,
  engine: 'tfjs',
  version: `tfjs ${version_core}`,
  backend: backend.choice,
  device: backend.device,
  devices: [
    { name: backend.device, index: 0, totalBytes: totalmem(), freeBytes: freemem(), computeCapability: null },
  ],
  precision: 'fp32',
  attempts: backend.attempts,
});

/**
 * Test hooks, the same in both engines (docs/protocol.md): $SEGNAS_FAULT_OOM = a job id fails that job as
 * a device out-of-memory would; $SEGNAS_FAULT_NAN = a job id reports its epochs' Dice as NaN.
 */
function simulatedOutOfMemory(id: string): void {
  if (process.env.SEGNAS_FAULT_OOM === id)
    throw new Error('out of memory (simulated by SEGNAS_FAULT_OOM for this job)');
}

/**
 * The network of the last predict job, kept while jobs name the same folder unchanged (model.json is
 * written last, so its time and size change whenever the folder is rewritten): a batch arrives as
 * several jobs, and rebuilding the network for each costs more than segmenting its images.
 */
let lastModel: { dir: string; stamp: string; net: Awaited<ReturnType<typeof loadModel>>['net'] } | undefined;
type Net = Awaited<ReturnType<typeof loadModel>>['net'];

function dropLastModel(): void {
  lastModel?.net.dispose();
  lastModel = undefined;
}

/** The folder's network; with `patch` (a native predict job) built for that input, whatever the folder says. */
async function predictModel(dir: string, patch?: [number, number, number]): Promise<Net> {
  const s = await stat(join(dir, 'model.json'));
  const stamp = `${s.mtimeMs}:${s.size}:${patch?.join('x') ?? ''}`;
  if (lastModel?.dir === dir && lastModel.stamp === stamp) return lastModel.net;
  dropLastModel();
  const { net } = await loadModel(dir, (spec, options) =>
    buildNetwork(spec, patch ? { ...options, patch } : options),
  );
  lastModel = { dir, stamp, net };
  return net;
}

/** Native predict job: each image of its own shape, segmented by sliding window. */
async function runNativePredict(
  job: PredictJob & { native: NonNullable<PredictJob['native']> },
): Promise<void> {
  const start = performance.now();
  const net = await predictModel(job.model, job.native.patchSize);
  const C = net.options.inChannels;
  for (let i = 0; i < job.images.length; i++) {
    if (running?.controller.signal.aborted) throw new Error('cancelled');
    const shape = job.shapes?.[i];
    if (!shape) throw new Error(`predict job: field 'job.shapes.${i}' is missing (one x, y, z per image).`);
    const values = C * shape[0] * shape[1] * shape[2];
    const bytes = await readFile(job.images[i]);
    if (bytes.byteLength !== values * 4)
      throw new Error(
        `${job.images[i]}: ${bytes.byteLength} bytes, expected ${values * 4} (float32 ${C}×${shape.join('×')}).`,
      );
    const image = new Float32Array(values);
    new Uint8Array(image.buffer).set(bytes);
    await writeFile(job.outputs[i], slidingWindowPredict(net, image, shape, job.native));
  }
  send({ type: 'predicted', id: job.id, outputs: job.outputs, seconds: (performance.now() - start) / 1000 });
}

async function runPredict(job: PredictJob): Promise<void> {
  if (job.native) return runNativePredict({ ...job, native: job.native });
  const start = performance.now();
  const net = await predictModel(job.model);
  const size = net.options.size;
  const values = net.options.inChannels * size ** 3;
  if (net.options.classes > 256)
    throw new Error(`${job.model}: ${net.options.classes} classes do not fit a uint8 class map`);
  for (let i = 0; i < job.images.length; i++) {
    if (running?.controller.signal.aborted) throw new Error('cancelled');
    const bytes = await readFile(job.images[i]);
    if (bytes.byteLength !== values * 4)
      throw new Error(
        `${job.images[i]}: ${bytes.byteLength} bytes, expected ${values * 4} (float32 ${net.options.inChannels}×${size}³).`,
      );
    const image = new Float32Array(values);
    new Uint8Array(image.buffer).set(bytes);
    await writeFile(job.outputs[i], Uint8Array.from(await predictClasses(net, image)));
  }
  send({ type: 'predicted', id: job.id, outputs: job.outputs, seconds: (performance.now() - start) / 1000 });
}

/** The job in progress: `controller` cancels it after the current batch, `pause` after the current epoch. */
let running: { id: string; controller: AbortController; pause: AbortController } | undefined;
const runningJob = (id: string) => ({ id, controller: new AbortController(), pause: new AbortController() });

async function runJob(job: TrainJob): Promise<void> {
  const startedAt = performance.now();
  // Training needs the memory more than a later prediction needs the cached network.
  dropLastModel();
  simulatedOutOfMemory(job.id);
  const size = job.network.size;
  const read = (r: (typeof job.data.train)[number]) =>
    readVolumeFiles(r, size, job.network.inChannels).then((v) => ({ ...v, shape: r.shape }));
  const [train, val] = await Promise.all([
    Promise.all(job.data.train.map(read)),
    Promise.all(job.data.val.map(read)),
  ]);
  const { native } = job;
  const checkpointDir = job.checkpointDir;
  const fingerprint = trainingFingerprint(job);
  const checkpoint = checkpointDir ? await readCheckpoint(checkpointDir, fingerprint) : undefined;
  if (checkpoint && !checkpoint.found && checkpoint.reason) console.error(`trainer: ${checkpoint.reason}`);
  const resumeFrom = checkpoint?.found ? checkpoint.state : undefined;
  const result = await trainCandidate({
    ...(resumeFrom && { resumeFrom }),
    ...(checkpointDir && {
      onCheckpoint: (state) => writeCheckpoint(checkpointDir, state, fingerprint),
    }),
    pauseSignal: running?.pause.signal,
    onStep: (progress) => send({ type: 'step', id: job.id, progress }),
    makeNet: () => buildNetwork(job.spec, native ? { ...job.network, patch: native.patchSize } : job.network),
    train,
    val,
    native,
    settings: job.training,
    signal: running?.controller.signal,
    keepNetwork: job.exportDir !== undefined,
    startedAt,
    onEpoch: (progress) =>
      send({
        type: 'epoch',
        id: job.id,
        // Test hook (both engines): a diverged network's NaN Dice, which JSON carries as null.
        progress: process.env.SEGNAS_FAULT_NAN === job.id ? { ...progress, valDice: Number.NaN } : progress,
      }),
  });
  if (result.net && job.exportDir) {
    try {
      const meta = job.exportMeta ?? {};
      await saveModel(job.exportDir, result.net, {
        preprocessing: (meta.preprocessing as Record<string, unknown>) ?? { size },
        labels: (meta.labels as { values: number[]; names: string[] }) ?? {
          values: Array.from({ length: job.network.classes }, (_, k) => k),
          names: Array.from({ length: job.network.classes }, (_, k) =>
            k === 0 ? 'background' : `label ${k}`,
          ),
        },
        extra: {
          bestDice: result.bestDice,
          bestEpoch: result.bestEpoch,
          training: job.training,
          ...(native && { native }),
        },
      });
    } finally {
      result.net.dispose();
    }
  }
  // A finished training's model is what stays; its checkpoint would only resume a training that is over.
  if (checkpointDir && result.status === 'done') await removeCheckpoint(checkpointDir);
  send({
    type: 'result',
    id: job.id,
    status: result.status,
    bestDice: result.bestDice,
    bestEpoch: result.bestEpoch,
    bestPerLabel: result.bestPerLabel,
    epochs: result.history.length,
    seconds: result.seconds,
    paramCount: result.paramCount,
    ...(result.peakBytes !== undefined && { peakBytes: result.peakBytes }),
    ...(result.firstStepSeconds !== undefined && { firstStepSeconds: result.firstStepSeconds }),
    ...(resumeFrom && { resumedFrom: resumeFrom.epoch }),
  });
}

/**
 * File mode: one job, a heartbeat line every few seconds while it runs, and SIGUSR1 / SIGTERM (Slurm's
 * warning before the time limit, preemption, a requeue) stop it after the current batch with a
 * `cancelled` result, so that the caller knows the job was interrupted rather than failed.
 */
async function runFileMode(paths: FileModePaths): Promise<number> {
  // A result left by an earlier run of a requeued job is not this run's.
  rmSync(paths.result, { force: true });
  let msg: Awaited<ReturnType<typeof readJobFile>>;
  try {
    msg = await readJobFile(paths.jobFile);
  } catch (e) {
    send({ type: 'failed', id: '', status: 'failed', reason: `bad job file: ${(e as Error).message}` });
    return 1;
  }
  const job = msg.job;
  running = runningJob(job.id);
  const stop = () => running?.controller.abort();
  process.on('SIGUSR1', stop);
  process.on('SIGTERM', stop);
  // Test hook (docs/protocol.md): the first attempt of this job hangs without a heartbeat, as a job on
  // a node that lost its filesystem would.
  if (process.env.SEGNAS_FAULT_STALL === job.id && (process.env.SEGNAS_ATTEMPT ?? '1') === '1')
    await new Promise(() => setInterval(() => {}, 60_000));
  const heartbeat = setInterval(() => send({ type: 'heartbeat', id: job.id }), paths.heartbeatS * 1000);
  try {
    await (msg.type === 'train' ? runJob(msg.job) : runPredict(msg.job));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    send({ type: 'failed', id: job.id, status: isOutOfMemoryError(e) ? 'oom' : 'failed', reason });
  } finally {
    clearInterval(heartbeat);
  }
  return 0;
}

if (fileMode) process.exit(await runFileMode(fileMode));

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let msg: ReturnType<typeof parseToTrainer>;
  try {
    msg = parseToTrainer(line);
  } catch (e) {
    const id = (() => {
      try {
        return String(JSON.parse(line)?.job?.id ?? JSON.parse(line)?.id ?? '');
      } catch {
        return '';
      }
    })();
    send({ type: 'failed', id, status: 'failed', reason: `bad message: ${(e as Error).message}` });
    return;
  }
  if (msg.type === 'shutdown') {
    running?.controller.abort();
    lines.close();
    return;
  }
  if (msg.type === 'cancel') {
    if (running?.id === msg.id) running.controller.abort();
    return;
  }
  if (msg.type === 'pause') {
    if (running?.id === msg.id) running.pause.abort();
    return;
  }
  if (running) {
    send({ type: 'failed', id: msg.job.id, status: 'failed', reason: `trainer busy with job ${running.id}` });
    return;
  }
  const job = msg.job;
  running = runningJob(job.id);
  (msg.type === 'train' ? runJob(msg.job) : runPredict(msg.job))
    .catch((e: unknown) => {
      const reason = e instanceof Error ? e.message : String(e);
      send({ type: 'failed', id: job.id, status: isOutOfMemoryError(e) ? 'oom' : 'failed', reason });
    })
    .finally(() => {
      running = undefined;
    });
});

/** The caller is gone or asked us to leave: cancel the job (nobody will read its result), clean up, exit. */
let leaving = false;
function leave(): void {
  if (leaving) return;
  leaving = true;
  running?.controller.abort();
  const wait = setInterval(() => {
    if (!running) {
      clearInterval(wait);
      process.exit(0);
    }
  }, 50);
}
lines.on('close', leave);
process.on('disconnect', leave);
