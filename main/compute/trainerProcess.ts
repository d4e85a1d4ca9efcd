/**
 * One trainer process and the caller's side of the protocol: the TensorFlow.js trainer
 * (child_process.fork of trainerWorker.ts) or the PyTorch trainer (`python -m segnas_torch`).
 * Whatever happens in the child (exception, crash, kill, out-of-memory, a malformed message), run()
 * resolves with an outcome: the caller never sees the child die. A dead child is started again for the
 * next job.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { diceToF, UNTRAINABLE_F } from '../nas/objective';
import type { EpochProgress, StepProgress } from '../train/trainer';
import { boundedLines, MAX_TRAINER_LINE_BYTES } from './boundedLines';
import { OUT_OF_MEMORY_TEXT } from './outOfMemory';
import {
  encodeMessage,
  type FromTrainer,
  type PredictJob,
  parseFromTrainer,
  type ReadyAttempt,
  type ReadyMessage,
  type TrainerDeviceInfo,
  type TrainJob,
} from './protocol';
import { pythonEnv } from './python';
import { pytorchEngineDir, trainerEntry } from './runtimeFiles';
import { defaultWatchdogSettings, ProgressWatchdog, type WatchdogSettings } from './watchdog';

/** How much of the child's stderr is kept to explain a crash. */
const STDERR_TAIL = 4000;

export type TrainingStatus = 'done' | 'cancelled' | 'failed' | 'oom';

/** The device a candidate was sent to, so a multi-device search can say which one trained it. */
export interface TrainerDevice {
  /** The trainer's label, e.g. "GPU 1" (the pool's DeviceSlot label). */
  label: string;
  /** The backend the trainer process chose (e.g. "wasm", "cuda"); absent if it never became ready. */
  backend?: string;
  /** That backend's description of the device, e.g. "CPU (WebAssembly)". */
  description?: string;
  /** The engine ('tfjs' or 'pytorch') and its version, e.g. "torch 2.5.1". */
  engine?: string;
  engineVersion?: string;
}

/** One line for the store and the UIs, e.g. "GPU 1 — GPU (CUDA via tfjs-node-gpu, CUDA_VISIBLE_DEVICES=1)". */
export function describeDevice(device: TrainerDevice): string {
  return device.description ? `${device.label} — ${device.description}` : device.label;
}

export interface TrainingResult {
  id: string;
  /** The signal that ended the trainer process during this job, when one did. */
  killedBy?: NodeJS.Signals;
  status: TrainingStatus;
  /** Search objective: −ln(max(Dice, 1e−4)) when done, 10 otherwise. */
  f: number;
  bestDice: number;
  bestEpoch: number;
  bestPerLabel: number[];
  history: EpochProgress[];
  seconds: number;
  paramCount?: number;
  /** Peak tensor bytes the trainer measured for this job, when it could (protocol `result.peakBytes`). */
  peakBytes?: number;
  /** Seconds from the job's arrival at the trainer to the end of its first step (protocol `result.firstStepSeconds`). */
  firstStepSeconds?: number;
  /** The checkpoint epoch the trainer went on from (protocol `result.resumedFrom`); absent: epoch 1. */
  resumedFrom?: number;
  reason?: string;
  /** The trainer that ran it; absent when no trainer did (predicted OOM, cancelled while queued). */
  device?: TrainerDevice;
}

export interface TrainerProcessOptions {
  /** Shown in reasons and logs, e.g. "GPU 1". */
  label?: string;
  /** Extra environment for the child, e.g. { CUDA_VISIBLE_DEVICES: '1' }. */
  env?: Record<string, string>;
  /** Seconds to wait for the child's `ready` line. */
  startTimeoutS?: number;
  /** Run the PyTorch trainer with this interpreter (and trainer arguments) instead of the TensorFlow.js one. */
  python?: { executable: string; args?: string[] };
  /** Hang detection and kill escalation (main/compute/watchdog.ts). */
  watchdog?: Partial<WatchdogSettings>;
}

/** What a trainer said about itself when it started (protocol `ready`). */
export interface TrainerInfo {
  engine: string;
  version: string;
  backend: string;
  device: string;
  devices: TrainerDeviceInfo[];
  precision: string;
  pid: number;
  /** TensorFlow.js only: the backends its chain tried (protocol `ready.attempts`). */
  attempts?: ReadyAttempt[];
}

export interface PredictOutcome {
  id: string;
  status: 'done' | 'failed' | 'oom';
  outputs: string[];
  seconds: number;
  reason?: string;
  device?: TrainerDevice;
}

export interface RunHandlers {
  onEpoch?: (p: EpochProgress) => void;
  /** Progress within an epoch (protocol `step`). */
  onStep?: (p: StepProgress) => void;
  signal?: AbortSignal;
  /** Pause: the trainer ends the job `cancelled` after the epoch in progress and its checkpoint. */
  pauseSignal?: AbortSignal;
}

/** The job in progress: what to do with its messages and how to end it when the child cannot. */
interface Pending {
  id: string;
  /** The child running it: a late exit or line of an older child never touches a newer job. */
  child: ChildProcess;
  onMessage: (msg: FromTrainer) => void;
  fail: (status: 'failed' | 'oom', reason: string, killedBy?: NodeJS.Signals) => void;
  /** Ends the job as cancelled (close, or a cancel the trainer did not answer). */
  cancel: (reason: string) => void;
}

/** The TensorFlow.js trainer: the build's bundle, or the sources through tsx in a checkout. */
function forkWorker(env: NodeJS.ProcessEnv): ChildProcess {
  const entry = trainerEntry();
  return fork(entry.modulePath, [], {
    cwd: entry.cwd,
    execArgv: entry.execArgv,
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
}

export function failedOutcome(
  job: TrainJob,
  status: 'failed' | 'oom',
  reason: string,
  history: EpochProgress[] = [],
): TrainingResult {
  const best = history.reduce<EpochProgress | undefined>(
    (b, e) => (!b || (e.valDice ?? 0) > (b.valDice ?? 0) ? e : b),
    undefined,
  );
  return {
    id: job.id,
    status,
    f: UNTRAINABLE_F,
    bestDice: best?.valDice ?? 0,
    bestEpoch: best?.epoch ?? 0,
    bestPerLabel: best?.valPerLabel ?? [],
    history,
    seconds: history.reduce((a, e) => a + e.seconds, 0),
    reason,
  };
}

function toInfo(msg: ReadyMessage): TrainerInfo {
  const { engine, version, backend, device, devices, precision, pid, attempts } = msg;
  return { engine, version, backend, device, devices, precision, pid, ...(attempts && { attempts }) };
}

export class TrainerProcess {
  readonly label: string;
  private child?: ChildProcess;
  private starting?: Promise<void>;
  private pending?: Pending;
  private stderrTail = '';
  private readyInfo?: TrainerInfo;
  /** How many times the child was started (1 after the first start). */
  starts = 0;

  private readonly watch: WatchdogSettings;

  constructor(private readonly options: TrainerProcessOptions = {}) {
    this.label = options.label ?? 'trainer';
    this.watch = { ...defaultWatchdogSettings(), ...options.watchdog };
  }

  /** Kills a child that does not answer; the next job starts a fresh one without waiting for it to be reaped. */
  private abandon(child: ChildProcess): void {
    child.kill('SIGKILL');
    if (this.child === child) this.child = undefined;
  }

  /**
   * The end of a job, whoever gets there first (result, exit, watchdog, cancel escalation, close):
   * runs `end` once, for the job still pending, and clears the pending slot.
   */
  private settle(p: Pending, end: () => void): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    end();
  }

  /** Engine, backend and device of the running child, once ready. */
  get info(): TrainerInfo | undefined {
    return this.readyInfo;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Starts the child if it is not running; resolves when it has reported `ready`. */
  start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null && !this.starting) {
      return Promise.resolve();
    }
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private spawn(): Promise<void> {
    this.starts++;
    this.stderrTail = '';
    this.readyInfo = undefined;
    const python = this.options.python;
    const child = python
      ? spawn(python.executable, ['-m', 'segnas_torch', ...(python.args ?? [])], {
          // Beside the package, never inside an app archive (Python cannot read asar).
          cwd: pytorchEngineDir(),
          env: { ...pythonEnv(process.env), ...this.options.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : forkWorker({ ...process.env, ...this.options.env });
    // A missing interpreter: 'exit' may not follow, so end the start here.
    child.on('error', (e) => {
      this.stderrTail = `${this.stderrTail}\n${e.message}`.slice(-STDERR_TAIL);
      if (!this.readyInfo) child.emit('exit', null, null);
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL);
    });
    // Writing to a child that just died raises EPIPE on stdin; the exit handler reports it.
    child.stdin?.on('error', () => {});
    return new Promise<void>((resolveStart, rejectStart) => {
      const timer = setTimeout(
        () => {
          rejectStart(
            new Error(
              `${this.label}: the trainer process did not start within ${this.options.startTimeoutS ?? 120} s.`,
            ),
          );
          child.kill('SIGKILL');
        },
        (this.options.startTimeoutS ?? 120) * 1000,
      );
      // A trainer that breaks the protocol mid-job fails that job and is replaced: what else it says
      // about the job cannot be trusted.
      const broke = (reason: string) => {
        const p = this.pending;
        if (p && p.child === child) {
          // Forget it now, so that the next job starts a fresh trainer rather than this dying one.
          this.child = undefined;
          child.kill('SIGKILL');
          p.fail('failed', reason);
        } else if (this.child === child && !this.readyInfo) child.kill('SIGKILL');
      };
      const overflow = (bytes: number) =>
        broke(
          `trainer wrote a line of ${bytes >= MAX_TRAINER_LINE_BYTES ? `more than ${MAX_TRAINER_LINE_BYTES}` : bytes} bytes (protocol lines are at most ${MAX_TRAINER_LINE_BYTES} bytes); it was stopped`,
        );
      boundedLines(
        child.stdout as NodeJS.ReadableStream,
        MAX_TRAINER_LINE_BYTES,
        (line) => {
          if (!line.trim()) return;
          const parsed = parseFromTrainer(line);
          if (!parsed.ok) {
            this.stderrTail = `${this.stderrTail}\n[stdout] ${line.slice(0, 400)}`.slice(-STDERR_TAIL);
            broke(parsed.reason);
            return;
          }
          const msg = parsed.msg;
          if (msg.type === 'ready') {
            clearTimeout(timer);
            this.readyInfo = toInfo(msg);
            resolveStart();
            return;
          }
          this.onMessage(msg, child);
        },
        overflow,
      );
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        // A child already replaced (it broke the protocol) has nothing left to report.
        const current = this.child === child;
        if (current) this.child = undefined;
        const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        if (!this.readyInfo)
          rejectStart(new Error(`${this.label}: the trainer process ${how} while starting: ${tail}`));
        const p = this.pending;
        if (current && p && p.child === child) {
          const oom = OUT_OF_MEMORY_TEXT.test(this.stderrTail);
          const hint =
            signal === 'SIGKILL' && !oom
              ? ' (killed from outside, possibly by the system for lack of memory)'
              : '';
          p.fail(
            oom ? 'oom' : 'failed',
            `trainer process ${how}${hint} during the job${tail ? `: ${tail}` : ''}`,
            signal ?? undefined,
          );
        }
      });
    });
  }

  private onMessage(msg: FromTrainer, child: ChildProcess): void {
    const p = this.pending;
    if (!p || p.child !== child || !('id' in msg) || msg.type === 'heartbeat') return;
    if (msg.id !== p.id) {
      // A trainer answering for a job it was not given is confused: waiting would only end in the
      // watchdog's "trainer hung" much later.
      this.child = undefined;
      child.kill('SIGKILL');
      p.fail(
        'failed',
        `trainer answered for job ${JSON.stringify(msg.id.slice(0, 80))} while running ${JSON.stringify(p.id)}; it was stopped`,
      );
      return;
    }
    p.onMessage(msg);
  }

  private device(): TrainerDevice {
    const info = this.readyInfo;
    return info
      ? {
          label: this.label,
          backend: info.backend,
          description: info.device,
          engine: info.engine,
          engineVersion: info.version,
        }
      : { label: this.label };
  }

  /** Trains one candidate in the child. Never rejects: failures come back as status failed / oom. */
  async run(job: TrainJob, handlers: RunHandlers = {}): Promise<TrainingResult> {
    if (this.pending) throw new Error(`${this.label}: already running ${this.pending.id}.`);
    try {
      await this.start();
    } catch (e) {
      return { ...failedOutcome(job, 'failed', (e as Error).message), device: { label: this.label } };
    }
    const child = this.child;
    const device = this.device();
    if (!child)
      return {
        ...failedOutcome(job, 'failed', `${this.label}: the trainer process is not running.`),
        device,
      };
    return new Promise<TrainingResult>((resolveRun) => {
      const history: EpochProgress[] = [];
      let cancelTimer: NodeJS.Timeout | undefined;
      const finish = (o: TrainingResult) =>
        this.settle(p, () => {
          watchdog.stop();
          clearTimeout(cancelTimer);
          handlers.signal?.removeEventListener('abort', onAbort);
          handlers.pauseSignal?.removeEventListener('abort', onPause);
          resolveRun({ ...o, device });
        });
      const cancelled = (reason: string) =>
        finish({ ...failedOutcome(job, 'failed', reason, history), status: 'cancelled' });
      // A cancel the trainer never reads (stuck in native code) is escalated to SIGKILL.
      const onAbort = () => {
        child.stdin?.write(encodeMessage({ type: 'cancel', id: job.id }));
        cancelTimer ??= setTimeout(() => {
          this.abandon(child);
          cancelled(
            `cancelled; the trainer did not answer within ${this.watch.cancelGraceS} s and was killed`,
          );
        }, this.watch.cancelGraceS * 1000);
      };
      const onPause = () => child.stdin?.write(encodeMessage({ type: 'pause', id: job.id }));
      const watchdog = new ProgressWatchdog(this.watch, (silentS) => {
        this.abandon(child);
        finish(failedOutcome(job, 'failed', `trainer hung (no progress for ${silentS} s)`, history));
      });
      const p: Pending = {
        id: job.id,
        child,
        cancel: cancelled,
        fail: (status, reason, killedBy) =>
          finish({ ...failedOutcome(job, status, reason, history), ...(killedBy && { killedBy }) }),
        onMessage: (msg) => {
          switch (msg.type) {
            case 'epoch':
              history.push(msg.progress);
              watchdog.progress(msg.progress.seconds);
              handlers.onEpoch?.(msg.progress);
              return;
            case 'step':
              handlers.onStep?.(msg.progress);
              return;
            case 'result':
              finish({
                id: msg.id,
                status: msg.status,
                f: msg.status === 'done' ? diceToF(msg.bestDice) : UNTRAINABLE_F,
                bestDice: msg.bestDice,
                bestEpoch: msg.bestEpoch,
                bestPerLabel: msg.bestPerLabel,
                history,
                seconds: msg.seconds,
                paramCount: msg.paramCount,
                ...(typeof msg.peakBytes === 'number' && { peakBytes: msg.peakBytes }),
                ...(typeof msg.firstStepSeconds === 'number' && { firstStepSeconds: msg.firstStepSeconds }),
                ...(msg.resumedFrom !== undefined && { resumedFrom: msg.resumedFrom }),
              });
              return;
            case 'failed':
              finish(failedOutcome(job, msg.status, msg.reason, history));
              return;
            default:
              finish(
                failedOutcome(job, 'failed', `trainer answered a train job with '${msg.type}'`, history),
              );
          }
        },
      };
      handlers.signal?.addEventListener('abort', onAbort, { once: true });
      handlers.pauseSignal?.addEventListener('abort', onPause, { once: true });
      this.pending = p;
      watchdog.start();
      child.stdin?.write(encodeMessage({ type: 'train', job }));
      if (handlers.signal?.aborted) onAbort();
      else if (handlers.pauseSignal?.aborted) onPause();
    });
  }

  /** Segments preprocessed volumes in the child (protocol `predict`). Never rejects. */
  async predict(job: PredictJob, signal?: AbortSignal): Promise<PredictOutcome> {
    if (this.pending) throw new Error(`${this.label}: already running ${this.pending.id}.`);
    const failed = (status: 'failed' | 'oom', reason: string): PredictOutcome => ({
      id: job.id,
      status,
      outputs: [],
      seconds: 0,
      reason,
    });
    try {
      await this.start();
    } catch (e) {
      return { ...failed('failed', (e as Error).message), device: { label: this.label } };
    }
    const child = this.child;
    const device = this.device();
    if (!child) return { ...failed('failed', `${this.label}: the trainer process is not running.`), device };
    return new Promise<PredictOutcome>((resolveRun) => {
      const onAbort = () => child.stdin?.write(encodeMessage({ type: 'cancel', id: job.id }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (o: PredictOutcome) =>
        this.settle(p, () => {
          signal?.removeEventListener('abort', onAbort);
          resolveRun({ ...o, device });
        });
      const p: Pending = {
        id: job.id,
        child,
        fail: (status, reason) => finish(failed(status, reason)),
        cancel: (reason) => finish(failed('failed', reason)),
        onMessage: (msg) => {
          if (msg.type === 'predicted')
            finish({ id: job.id, status: 'done', outputs: msg.outputs, seconds: msg.seconds });
          else if (msg.type === 'failed') finish(failed(msg.status, msg.reason));
          else finish(failed('failed', `trainer answered a predict job with '${msg.type}'`));
        },
      };
      this.pending = p;
      child.stdin?.write(encodeMessage({ type: 'predict', job }));
      if (signal?.aborted) onAbort();
    });
  }

  /**
   * Asks the child to leave, and kills it if it has not within `graceMs`. Bounded: a child that is
   * not reaped even after SIGKILL (uninterruptible I/O) is given up on after the watchdog's killWaitS.
   * A job still running ends as cancelled.
   */
  async close(graceMs = 5000): Promise<void> {
    const child = this.child;
    this.pending?.cancel('cancelled: the trainer was closed');
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin?.write(encodeMessage({ type: 'shutdown' }));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    let giveUp: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((r) => {
      giveUp = setTimeout(r, graceMs + this.watch.killWaitS * 1000);
    });
    await Promise.race([exited, bound]);
    clearTimeout(timer);
    clearTimeout(giveUp);
    if (this.child === child) this.child = undefined;
  }
}
