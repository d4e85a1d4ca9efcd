/**
 * Trains candidates as Slurm batch jobs, one job per candidate. The job runs the same trainer as a
 * local search, in the protocol's file mode: its job file, events and result sit in a folder on the
 * filesystem the cluster shares with this process. This process only submits, polls (one squeue call
 * for all jobs), tails the event files and cancels; whoever calls run() records what it hears, so the
 * store keeps a single writer.
 *
 * Faults, as clusters have them: a running job whose trainer writes nothing (no heartbeat) past a
 * grace period is cancelled and resubmitted; TIMEOUT, PREEMPTED, NODE_FAIL and BOOT_FAIL are
 * resubmitted up to a limit (and Slurm itself requeues after preemption or a node failure: the same
 * job id starts again); OUT_OF_MEMORY or Slurm's memory-limit kill ends the candidate `oom`; any other
 * end without a result ends it `failed` with Slurm's state and reason. Stop (the handlers' signal)
 * cancels the job. Closing the executor leaves the jobs alone: the ledger holds their ids, and a later
 * executor re-attaches to them (queued, running, or finished in the meantime) instead of training the
 * candidate again.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterSettings } from '../core/searchConfig';
import { diceToF } from '../nas/objective';
import type { EpochProgress } from '../train/trainer';
import type { CandidateExecutor } from './executor';
import {
  DEFAULT_HEARTBEAT_S,
  EventTail,
  fileModeArgs,
  readResultFile,
  writeAtomically,
} from './fileProtocol';
import { OUT_OF_MEMORY_TEXT } from './outOfMemory';
import { encodeMessage, type ReadyMessage, type TrainJob } from './protocol';
import {
  type CommandRunner,
  type QueuedJob,
  sbatch,
  scancel,
  scontrolShowJob,
  squeue,
  squeueByName,
} from './slurmCommands';
import { jobScript, type TrainerLaunch } from './slurmScript';
import { failedOutcome, type RunHandlers, type TrainerDevice, type TrainingResult } from './trainerProcess';

/** What is known of a candidate's job, kept by the caller (the store) so that a resume finds it. */
export interface ClusterJobRecord {
  /** Slurm's job id; null between the decision to submit and sbatch's answer. */
  jobId: string | null;
  /** Slurm's state as last seen (PENDING, RUNNING, COMPLETED, …), or SUBMITTING / STOPPED (ours). */
  state: string;
  node: string | null;
  /** Submissions so far (1 for the first). */
  attempts: number;
}

export interface JobLedger {
  get(key: string): ClusterJobRecord | undefined;
  put(key: string, record: ClusterJobRecord): void;
}

export interface SlurmExecutorOptions {
  settings: ClusterSettings;
  /** The experiment's job folder on the shared filesystem; each candidate gets `<jobsDir>/<job id>/`. */
  jobsDir: string;
  /** The Slurm job name of a candidate: unique to this workspace and experiment. */
  jobName: (jobKey: string) => string;
  trainer: TrainerLaunch;
  ledger: JobLedger;
  run: CommandRunner;
  /** Milliseconds between polls. Default 2000. */
  pollMs?: number;
  /** Seconds between the trainer's heartbeat lines. Default 30. */
  heartbeatS?: number;
}

const DEFAULT_REQUEUE_LIMIT = 3;
const DEFAULT_GRACE_S = 300;
const SIGNAL_BEFORE_S = 120;
/** Polls a submitted job may be missing from squeue (a busy controller) before it counts as gone. */
const MISSING_POLLS = 5;

const WAITING = new Set([
  'PENDING',
  'CONFIGURING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SUSPENDED',
]);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING']);
/** Ends that say nothing about the candidate: the job is submitted again (up to the limit). */
const RESUBMIT = new Set(['TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE']);
/** Slurm's words when it kills a job for its memory limit (without cgroups the state stays FAILED). */
const SLURM_MEMORY_TEXT = /exceeded (job |step )?memory limit|oom[-_ ]kill|out of memory/i;

interface Tracked {
  job: TrainJob;
  dir: string;
  handlers: RunHandlers;
  attempt: number;
  /** Resubmissions after faults in this run. */
  faults: number;
  jobId: string | null;
  state: string;
  node: string | null;
  tail: EventTail;
  resultPath: string;
  history: EpochProgress[];
  /** Highest epoch reported to the caller (a requeued job reports its epochs again; they are not repeated). */
  reported: number;
  ready?: ReadyMessage;
  /** When this process last saw the trainer write, or the job start running (its own clock). */
  lastActivity: number;
  missing: number;
  stopping: boolean;
  finish: (r: TrainingResult) => void;
}

export class SlurmExecutor implements CandidateExecutor {
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly o: SlurmExecutorOptions) {}

  get lanes(): number {
    return this.o.settings.maxJobs;
  }

  private get graceMs(): number {
    return (this.o.settings.heartbeatGraceS ?? DEFAULT_GRACE_S) * 1000;
  }

  async run(job: TrainJob, handlers: RunHandlers = {}): Promise<TrainingResult> {
    if (this.inUse >= this.lanes) await new Promise<void>((r) => this.waiting.push(r));
    this.inUse++;
    try {
      return await this.track(job, handlers);
    } catch (e) {
      return failedOutcome(job, 'failed', `Slurm: ${(e as Error).message}`);
    } finally {
      this.inUse--;
      this.waiting.shift()?.();
    }
  }

  private paths(dir: string, attempt: number) {
    return {
      script: join(dir, `job.${attempt}.sh`),
      events: join(dir, `events.${attempt}.ndjson`),
      result: join(dir, `result.${attempt}.json`),
    };
  }

  private async track(job: TrainJob, handlers: RunHandlers): Promise<TrainingResult> {
    if (this.closed)
      return { ...failedOutcome(job, 'failed', 'the executor was closed'), status: 'cancelled' };
    const dir = join(this.o.jobsDir, job.id);
    await mkdir(dir, { recursive: true });
    writeAtomically(join(dir, 'job.json'), encodeMessage({ type: 'train', job }));
    const known = this.o.ledger.get(job.id);
    return new Promise<TrainingResult>((resolve) => {
      const t: Tracked = {
        job,
        dir,
        handlers,
        attempt: known?.attempts ?? 0,
        faults: 0,
        jobId: null,
        state: 'SUBMITTING',
        node: null,
        tail: new EventTail(''),
        resultPath: '',
        history: [],
        reported: 0,
        lastActivity: Date.now(),
        missing: 0,
        stopping: false,
        finish: (r) => {
          if (this.tracked.get(job.id) !== t) return;
          this.tracked.delete(job.id);
          handlers.signal?.removeEventListener('abort', onAbort);
          handlers.pauseSignal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      const onAbort = () => void this.stop(t);
      handlers.signal?.addEventListener('abort', onAbort, { once: true });
      // A batch job hears no messages: Pause ends it like Stop, and its epoch checkpoint keeps the finished epochs.
      handlers.pauseSignal?.addEventListener('abort', onAbort, { once: true });
      this.tracked.set(job.id, t);
      void this.begin(t, known).then(
        async () => {
          // Stopped while sbatch was answering: the job it just submitted is cancelled too.
          if (t.stopping && t.jobId) {
            await scancel(this.o.run, [t.jobId]).catch(() => {});
            t.state = 'STOPPED';
            this.record(t);
          } else if (handlers.signal?.aborted || handlers.pauseSignal?.aborted) onAbort();
          this.schedule();
        },
        (e: Error) => t.finish(failedOutcome(job, 'failed', `Slurm: ${e.message}`)),
      );
    });
  }

  /** Re-attaches to the candidate's job when the ledger knows one, else submits it. */
  private async begin(t: Tracked, known: ClusterJobRecord | undefined): Promise<void> {
    if (known && known.state !== 'STOPPED') {
      let jobId = known.jobId;
      // Submitted just before a crash, before its id was recorded: find it by its name (the one still
      // queued or running; else the newest, when its trainer left a result).
      if (!jobId) {
        const named = await squeueByName(this.o.run, this.o.jobName(t.job.id));
        const active = named.find((j) => WAITING.has(j.state) || RUNNING.has(j.state));
        const newest = named.sort((a, b) => Number.parseInt(b.jobId, 10) - Number.parseInt(a.jobId, 10))[0];
        const finished = await readResultFile(this.paths(t.dir, known.attempts).result);
        jobId = active?.jobId ?? (finished ? newest?.jobId : undefined) ?? null;
      }
      if (jobId && known.attempts > 0) {
        this.attach(t, jobId, known.attempts, known.state, known.node);
        return;
      }
    }
    await this.submit(t);
  }

  private attach(t: Tracked, jobId: string, attempt: number, state: string, node: string | null): void {
    const p = this.paths(t.dir, attempt);
    Object.assign(t, {
      jobId,
      attempt,
      state,
      node,
      tail: new EventTail(p.events),
      resultPath: p.result,
      history: [],
      ready: undefined,
      lastActivity: Date.now(),
      missing: 0,
    });
  }

  private async submit(t: Tracked): Promise<void> {
    const attempt = t.attempt + 1;
    const p = this.paths(t.dir, attempt);
    const jobName = this.o.jobName(t.job.id);
    const script = jobScript({
      settings: this.o.settings,
      jobName,
      outputDir: t.dir,
      attempt,
      trainer: this.o.trainer,
      fileArgs: fileModeArgs({
        jobFile: join(t.dir, 'job.json'),
        events: p.events,
        result: p.result,
        heartbeatS: this.o.heartbeatS ?? DEFAULT_HEARTBEAT_S,
      }),
      signalBeforeS: SIGNAL_BEFORE_S,
    });
    writeAtomically(p.script, script);
    this.o.ledger.put(t.job.id, { jobId: null, state: 'SUBMITTING', node: null, attempts: attempt });
    const jobId = await sbatch(this.o.run, p.script);
    this.o.ledger.put(t.job.id, { jobId, state: 'PENDING', node: null, attempts: attempt });
    this.attach(t, jobId, attempt, 'PENDING', null);
  }

  private record(t: Tracked): void {
    this.o.ledger.put(t.job.id, { jobId: t.jobId, state: t.state, node: t.node, attempts: t.attempt });
  }

  private async stop(t: Tracked): Promise<void> {
    if (t.stopping) return;
    t.stopping = true;
    if (t.jobId) await scancel(this.o.run, [t.jobId]).catch(() => {});
    t.state = 'STOPPED';
    this.record(t);
    t.finish({
      ...failedOutcome(t.job, 'failed', 'cancelled: the search was stopped', t.history),
      status: 'cancelled',
      device: this.device(t),
    });
  }

  private schedule(): void {
    if (this.timer || this.closed || this.tracked.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    }, this.o.pollMs ?? 2000);
  }

  /** One squeue call for every job, then each job's files. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const jobs = [...this.tracked.values()].filter((t) => t.jobId && !t.stopping);
      let states: Map<string, QueuedJob> | undefined;
      try {
        states = await squeue(
          this.o.run,
          jobs.map((t) => t.jobId as string),
        );
      } catch {
        // squeue failing (controller busy, connection lost) is not a job failing: read the files, wait.
      }
      for (const t of jobs) {
        try {
          await this.step(t, states, t.jobId ? states?.get(t.jobId) : undefined);
        } catch (e) {
          await this.fail(t, 'failed', `Slurm job ${t.jobId}: ${(e as Error).message}`);
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private device(t: Tracked): TrainerDevice {
    const label = t.node ?? 'Slurm';
    return t.ready
      ? {
          label,
          backend: t.ready.backend,
          description: t.ready.device,
          engine: t.ready.engine,
          engineVersion: t.ready.version,
        }
      : { label };
  }

  private async fail(t: Tracked, status: 'failed' | 'oom', reason: string, cancelJob = true): Promise<void> {
    if (cancelJob && t.jobId && RUNNING.has(t.state)) await scancel(this.o.run, [t.jobId]).catch(() => {});
    this.record(t);
    t.finish({ ...failedOutcome(t.job, status, reason, t.history), device: this.device(t) });
  }

  private async resubmit(t: Tracked, why: string): Promise<void> {
    const limit = this.o.settings.requeueLimit ?? DEFAULT_REQUEUE_LIMIT;
    if (t.faults >= limit) {
      await this.fail(t, 'failed', `${why}; resubmitted ${t.faults} times already (limit ${limit})`);
      return;
    }
    t.faults++;
    await this.submit(t);
  }

  private async step(
    t: Tracked,
    states: Map<string, QueuedJob> | undefined,
    q: QueuedJob | undefined,
  ): Promise<void> {
    for (const e of await t.tail.read()) {
      t.lastActivity = Date.now();
      if (!e.ok) return this.fail(t, 'failed', e.reason);
      const msg = e.msg;
      if (msg.type === 'ready') {
        // A second `ready`: Slurm requeued the job and the trainer started over.
        if (t.ready) t.history = [];
        t.ready = msg;
      } else if (msg.type === 'epoch' && msg.id === t.job.id) {
        t.history.push(msg.progress);
        if (msg.progress.epoch > t.reported) {
          t.reported = msg.progress.epoch;
          t.handlers.onEpoch?.(msg.progress);
        }
      } else if (msg.type === 'step' && msg.id === t.job.id) t.handlers.onStep?.(msg.progress);
    }
    const result = await readResultFile(t.resultPath);
    if (result && !result.ok) return this.fail(t, 'failed', result.reason);
    const msg = result?.msg;
    if (msg?.type === 'result' && msg.status === 'done') {
      t.state = 'COMPLETED';
      this.record(t);
      t.finish({
        id: t.job.id,
        status: 'done',
        f: diceToF(msg.bestDice),
        bestDice: msg.bestDice,
        bestEpoch: msg.bestEpoch,
        bestPerLabel: msg.bestPerLabel,
        history: t.history,
        seconds: msg.seconds,
        paramCount: msg.paramCount,
        ...(typeof msg.peakBytes === 'number' && { peakBytes: msg.peakBytes }),
        ...(msg.resumedFrom !== undefined && { resumedFrom: msg.resumedFrom }),
        device: this.device(t),
      });
      return;
    }
    if (msg?.type === 'failed') {
      t.state = q?.state ?? 'FAILED';
      return this.fail(t, msg.status, msg.reason);
    }
    if (!q) {
      // Not (or no longer) known to Slurm; a fresh submission can take a moment to show.
      if (states === undefined || ++t.missing < MISSING_POLLS) return;
      t.state = 'GONE';
      return this.fail(
        t,
        'failed',
        `Slurm job ${t.jobId} is no longer known to Slurm and left no result${await this.outputTail(t)}`,
        false,
      );
    }
    t.missing = 0;
    const changed = q.state !== t.state || q.node !== t.node;
    if (RUNNING.has(q.state) && !RUNNING.has(t.state)) t.lastActivity = Date.now();
    t.state = q.state;
    t.node = q.node ?? t.node;
    if (changed) this.record(t);
    if (WAITING.has(q.state)) {
      t.lastActivity = Date.now();
      return;
    }
    if (RUNNING.has(q.state)) {
      const silentS = Math.round((Date.now() - t.lastActivity) / 1000);
      if (Date.now() - t.lastActivity > this.graceMs) {
        await scancel(this.o.run, [t.jobId as string]).catch(() => {});
        await this.resubmit(t, `Slurm job ${t.jobId} on ${t.node} wrote no heartbeat for ${silentS} s`);
      }
      return;
    }
    // The job ended without a final result (or with `cancelled`: the trainer heard a signal).
    const why = `Slurm job ${t.jobId} ended ${q.state}${q.reason && q.reason !== 'None' ? ` (${q.reason})` : ''}${t.node ? ` on ${t.node}` : ''}`;
    // The trainer stopped on a signal: Slurm's warning before the time limit, or preemption. A job
    // CANCELLED was cancelled by someone (scancel): that ends the candidate, it is not resubmitted.
    const interrupted = msg?.type === 'result' && msg.status === 'cancelled' && q.state !== 'CANCELLED';
    if (RESUBMIT.has(q.state) || interrupted)
      return this.resubmit(t, interrupted ? `${why} after a signal stopped the trainer` : why);
    const output = await this.outputTail(t);
    if (q.state === 'OUT_OF_MEMORY' || SLURM_MEMORY_TEXT.test(output) || OUT_OF_MEMORY_TEXT.test(output))
      return this.fail(t, 'oom', `${why}: out of memory${output}`, false);
    const details = await scontrolShowJob(this.o.run, t.jobId as string);
    const exit = details.ExitCode ? `, exit code ${details.ExitCode}` : '';
    return this.fail(t, 'failed', `${why}${exit}${output}`, false);
  }

  /** The last lines of Slurm's output file of the job, as `: line | line`, or ''. */
  private async outputTail(t: Tracked): Promise<string> {
    try {
      const text = await readFile(join(t.dir, `slurm-${t.jobId}.out`), 'utf8');
      const lines = text.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      return lines ? `: ${lines.slice(-600)}` : '';
    } catch {
      return '';
    }
  }

  /** Stops polling. Jobs keep running on the cluster; their candidates end here as cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of [...this.tracked.values()])
      t.finish({
        ...failedOutcome(t.job, 'failed', 'the controller closed; the job is left to a resume'),
        status: 'cancelled',
      });
  }
}
