/**
 * The trainer process (forked by trainerProcess.ts): reads protocol jobs from stdin, trains one candidate
 * at a time on this process' backend, writes protocol messages to stdout. See protocol.ts.
 *
 * stdout carries protocol lines only, so every console method is pointed at stderr before TensorFlow.js
 * (which prints notices with console.log/warn) is loaded; that is why the engine modules are imported
 * dynamically below.
 */
import { createInterface } from 'node:readline';
import {
  encodeMessage,
  type FromTrainer,
  PROTOCOL_VERSION,
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

const send = (msg: FromTrainer): void => {
  writeOut(encodeMessage(msg));
};

const [{ initBackend }, { trainCandidate }, { buildNetwork }, { saveModel }, { isOutOfMemoryError }] =
  await Promise.all([
    import('./backend'),
    import('../train/trainer'),
    import('../train/network'),
    import('../train/modelIO'),
    import('../nas/objective'),
  ]);

const backend = await initBackend();
send({
  type: 'ready',
  protocol: PROTOCOL_VERSION,
  pid: process.pid,
  backend: backend.choice,
  device: backend.device,
});

let running: { id: string; controller: AbortController } | undefined;

async function runJob(job: TrainJob): Promise<void> {
  const size = job.network.size;
  const [train, val] = await Promise.all([
    Promise.all(job.data.train.map((r) => readVolumeFiles(r, size))),
    Promise.all(job.data.val.map((r) => readVolumeFiles(r, size))),
  ]);
  const result = await trainCandidate({
    makeNet: () => buildNetwork(job.spec, job.network),
    train,
    val,
    settings: job.training,
    signal: running?.controller.signal,
    keepNetwork: job.exportDir !== undefined,
    onEpoch: (progress) => send({ type: 'epoch', id: job.id, progress }),
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
        extra: { bestDice: result.bestDice, bestEpoch: result.bestEpoch, training: job.training },
      });
    } finally {
      result.net.dispose();
    }
  }
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
  });
}

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
  if (running) {
    send({ type: 'failed', id: msg.job.id, status: 'failed', reason: `trainer busy with job ${running.id}` });
    return;
  }
  const job = msg.job;
  running = { id: job.id, controller: new AbortController() };
  runJob(job)
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
