/**
 * One trainer process (child_process.fork of trainerWorker, from the sources or from the build) and the
 * caller's side of the protocol.
 * Whatever happens in the child (exception, crash, kill, out-of-memory), run() resolves with an outcome:
 * the caller never sees the child die. A dead child is started again for the next job.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { diceToF, UNTRAINABLE_F } from '../nas/objective';
import type { EpochProgress } from '../train/trainer';
import { encodeMessage, type FromTrainer, type TrainJob } from './protocol';
import { trainerEntry } from './runtimeFiles';
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
}

/** One line for the store and the UIs, e.g. "GPU 1 — GPU (CUDA via tfjs-node-gpu, CUDA_VISIBLE_DEVICES=1)". */
export function describeDevice(device: TrainerDevice): string {
  return device.description ? `${device.label} — ${device.description}` : device.label;
}

export interface TrainingResult {
  id: string;
  status: TrainingStatus;
  /** Search objective: −ln(max(Dice, 1e−4)) when done, 10 otherwise. */
  f: number;
  bestDice: number;
  bestEpoch: number;
  bestPerLabel: number[];
  history: EpochProgress[];
  seconds: number;
  paramCount?: number;
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
  /** Hang detection and kill escalation (main/compute/watchdog.ts). */
  watchdog?: Partial<WatchdogSettings>;
}

export interface RunHandlers {
  onEpoch?: (p: EpochProgress) => void;
  signal?: AbortSignal;
}

interface Pending {
  job: TrainJob;
  /** The child training it: a late exit or line of an older child never touches a newer job. */
  child: ChildProcess;
  history: EpochProgress[];
  handlers: RunHandlers;
  resolve: (o: TrainingResult) => void;
  watchdog?: ProgressWatchdog;
  cancelTimer?: NodeJS.Timeout;
}

const OOM_TEXT =
  /out of memory|heap limit|Allocation failed|Array buffer allocation failed|ResourceExhausted|\bOOM\b/i;

export function failedOutcome(
  job: TrainJob,
  status: 'failed' | 'oom',
  reason: string,
  history: EpochProgress[] = [],
): TrainingResult {
  const best = history.reduce<EpochProgress | undefined>(
    (b, e) => (!b || e.valDice > b.valDice ? e : b),
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

export class TrainerProcess {
  readonly label: string;
  private child?: ChildProcess;
  private starting?: Promise<void>;
  private pending?: Pending;
  private stderrTail = '';
  private readyInfo?: { backend: string; device: string; pid: number };
  /** How many times the child was started (1 after the first start). */
  starts = 0;

  private readonly watch: WatchdogSettings;

  constructor(private readonly options: TrainerProcessOptions = {}) {
    this.label = options.label ?? 'trainer';
    this.watch = { ...defaultWatchdogSettings(), ...options.watchdog };
  }

  /** Ends a job once, whoever gets there first (result, exit, watchdog, cancel escalation, close). */
  private finish(p: Pending, outcome: TrainingResult): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    p.watchdog?.stop();
    clearTimeout(p.cancelTimer);
    p.resolve(outcome);
  }

  /** Kills a child that does not answer; the next job starts a fresh one without waiting for it to be reaped. */
  private abandon(child: ChildProcess): void {
    child.kill('SIGKILL');
    if (this.child === child) this.child = undefined;
  }

  /** Backend and device of the running child, once ready. */
  get info(): { backend: string; device: string; pid: number } | undefined {
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
    const entry = trainerEntry();
    const child = fork(entry.modulePath, [], {
      cwd: entry.cwd,
      execArgv: entry.execArgv,
      env: { ...process.env, ...this.options.env },
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
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
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        let msg: FromTrainer;
        try {
          msg = JSON.parse(line) as FromTrainer;
        } catch {
          this.stderrTail = `${this.stderrTail}\n[stdout] ${line}`.slice(-STDERR_TAIL);
          return;
        }
        if (msg.type === 'ready') {
          clearTimeout(timer);
          this.readyInfo = { backend: msg.backend, device: msg.device, pid: msg.pid };
          resolveStart();
          return;
        }
        this.onMessage(msg, child);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        if (!this.readyInfo)
          rejectStart(new Error(`${this.label}: the trainer process ${how} while starting: ${tail}`));
        const p = this.pending;
        if (p && p.child === child) {
          const oom = OOM_TEXT.test(this.stderrTail);
          const hint =
            signal === 'SIGKILL' && !oom
              ? ' (killed from outside, possibly by the system for lack of memory)'
              : '';
          this.finish(
            p,
            failedOutcome(
              p.job,
              oom ? 'oom' : 'failed',
              `trainer process ${how}${hint} during training${tail ? `: ${tail}` : ''}`,
              p.history,
            ),
          );
        }
      });
    });
  }

  private onMessage(msg: FromTrainer, child: ChildProcess): void {
    const p = this.pending;
    if (!p || p.child !== child || !('id' in msg) || msg.id !== p.job.id) return;
    switch (msg.type) {
      case 'epoch':
        p.watchdog?.progress(msg.progress.seconds);
        p.history.push(msg.progress);
        p.handlers.onEpoch?.(msg.progress);
        return;
      case 'result':
        this.finish(p, {
          id: msg.id,
          status: msg.status,
          f: msg.status === 'done' ? diceToF(msg.bestDice) : UNTRAINABLE_F,
          bestDice: msg.bestDice,
          bestEpoch: msg.bestEpoch,
          bestPerLabel: msg.bestPerLabel,
          history: p.history,
          seconds: msg.seconds,
          paramCount: msg.paramCount,
        });
        return;
      case 'failed':
        this.finish(p, failedOutcome(p.job, msg.status, msg.reason, p.history));
        return;
    }
  }

  /** Trains one candidate in the child. Never rejects: failures come back as status failed / oom. */
  async run(job: TrainJob, handlers: RunHandlers = {}): Promise<TrainingResult> {
    if (this.pending) throw new Error(`${this.label}: already training ${this.pending.job.id}.`);
    try {
      await this.start();
    } catch (e) {
      return { ...failedOutcome(job, 'failed', (e as Error).message), device: { label: this.label } };
    }
    const child = this.child;
    const info = this.readyInfo;
    const device: TrainerDevice = info
      ? { label: this.label, backend: info.backend, description: info.device }
      : { label: this.label };
    if (!child)
      return {
        ...failedOutcome(job, 'failed', `${this.label}: the trainer process is not running.`),
        device,
      };
    return new Promise<TrainingResult>((resolveRun) => {
      const p: Pending = {
        job,
        child,
        history: [],
        handlers,
        resolve: (o) => {
          handlers.signal?.removeEventListener('abort', onAbort);
          resolveRun({ ...o, device });
        },
      };
      // A cancel the trainer never reads (stuck in native code) is escalated to SIGKILL.
      const onAbort = () => {
        child.stdin?.write(encodeMessage({ type: 'cancel', id: job.id }));
        p.cancelTimer ??= setTimeout(() => {
          this.abandon(child);
          this.finish(p, {
            ...failedOutcome(
              job,
              'failed',
              `cancelled; the trainer did not answer within ${this.watch.cancelGraceS} s and was killed`,
              p.history,
            ),
            status: 'cancelled',
          });
        }, this.watch.cancelGraceS * 1000);
      };
      p.watchdog = new ProgressWatchdog(this.watch, (silentS) => {
        this.abandon(child);
        this.finish(
          p,
          failedOutcome(job, 'failed', `trainer hung (no progress for ${silentS} s)`, p.history),
        );
      });
      handlers.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending = p;
      p.watchdog.start();
      child.stdin?.write(encodeMessage({ type: 'train', job }));
      if (handlers.signal?.aborted) onAbort();
    });
  }

  /**
   * Asks the child to leave, and kills it if it has not within `graceMs`. Bounded: a child that is
   * not reaped even after SIGKILL (uninterruptible I/O) is given up on after the watchdog's killWaitS.
   * A job still running ends as cancelled.
   */
  async close(graceMs = 5000): Promise<void> {
    const child = this.child;
    const p = this.pending;
    if (p)
      this.finish(p, {
        ...failedOutcome(p.job, 'failed', 'cancelled: the trainer was closed', p.history),
        status: 'cancelled',
      });
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
