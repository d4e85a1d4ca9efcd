/**
 * The threads and shared memory behind our WebAssembly kernels (`wasm/*.as.ts` → `wasm/kernels.wasm`):
 * the direct convolutions (`directConv.ts`) and the fused batch norm + ReLU (`batchNormRelu.ts`).
 *
 * tfjs-wasm runs single-threaded in Node (its threaded build needs `WASM_HAS_MULTITHREAD_SUPPORT`, which
 * is false there), so these kernels — most of a training step — bring their own threads: one
 * WebAssembly.Memory shared by the calling thread and `threads − 1` worker threads, each instantiating
 * the same module. A kernel call copies its inputs into that memory, hands every thread a contiguous
 * range (rows of a volume, or elements), works on its own share and waits (Atomics.wait: tfjs kernels
 * are synchronous, and blocking is allowed in Node's main thread and in the trainer process) until all
 * are done. The workers are unref'd, so they never keep a process alive.
 *
 * Every exported kernel takes (…args, first, end, scratch): the same args for all threads, then the
 * thread's range and the offset of its private scratch memory.
 *
 * Thread count: `SEGNAS_CPU_THREADS` (an integer ≥ 1), else every core Node reports
 * (`os.availableParallelism()`), at most MAX_THREADS. A machine trains one candidate at a time on the
 * CPU (one trainer process for the CPU device), so that process may use every core.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export const MAX_THREADS = 16;
const PAGE = 65536;
/** The memory may grow to 4 GiB (wasm32's limit); shared memories reserve their maximum up front. */
const MAX_PAGES = 65536;
/** Where buffers start (bytes): the module has no data of its own, 0 stays unused. */
export const HEAP_BASE = 1024;

/** The exports of kernels.wasm, in the order of their op codes. */
export const KERNELS = [
  'convForwardRows',
  'convFilterGradRows',
  'bnSum',
  'bnSumSquaredDeviation',
  'bnAffineRelu',
  'bnGradSums',
  'bnGradInput',
] as const;
export type KernelName = (typeof KERNELS)[number];

/** What one thread computes: [first, end) of one call, with its own scratch region (byte offset). */
export interface Share {
  first: number;
  end: number;
  scratch: number;
}

const MAX_ARGS = 12;
// Control words (Int32): generation, pending workers, error flag, op, args, then 3 words per thread.
const GEN = 0;
const PENDING = 1;
const ERROR = 2;
const OP = 3;
const ARGS = 4;
const SHARES = ARGS + MAX_ARGS + 1; // + argument count
const STOP = -1;
/** Wake-ups that only a wait's timeout caught (diagnostics; see WAIT_SLICE_MS). */
const RECOVERED = SHARES + 3 * MAX_THREADS;
/**
 * Every wait times out after this long and re-checks its condition. With notify alone, a full 64³
 * search once hung in a trainer: main waiting for a worker that waited for work already posted (a
 * wake-up lost, most likely around a shared-memory grow, which interrupts every thread using the
 * memory). A lost wake-up now costs at most this long instead of the search.
 */
const WAIT_SLICE_MS = 50;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, index, names } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = names.map((n) => exports[n]);
const ctl = new Int32Array(control);
let gen = 0;
for (;;) {
  while (Atomics.load(ctl, ${GEN}) === gen) {
    if (Atomics.wait(ctl, ${GEN}, gen, ${WAIT_SLICE_MS}) === 'timed-out' && Atomics.load(ctl, ${GEN}) !== gen)
      Atomics.add(ctl, ${RECOVERED}, 1);
  }
  gen = Atomics.load(ctl, ${GEN});
  const op = ctl[${OP}];
  if (op === ${STOP}) break;
  try {
    const s = ${SHARES} + 3 * index;
    if (ctl[s] < ctl[s + 1]) {
      const args = Array.from(ctl.subarray(${ARGS}, ${ARGS} + ctl[${ARGS + MAX_ARGS}]));
      kernels[op](...args, ctl[s], ctl[s + 1], ctl[s + 2]);
    }
  } catch (e) {
    Atomics.store(ctl, ${ERROR}, 1);
  }
  if (Atomics.sub(ctl, ${PENDING}, 1) === 1) Atomics.notify(ctl, ${PENDING});
}
`;

type Kernel = (...args: number[]) => void;

function threadsFromEnv(): number {
  const raw = process.env.SEGNAS_CPU_THREADS;
  if (raw === undefined || raw === '') return Math.min(MAX_THREADS, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(
      `SEGNAS_CPU_THREADS must be an integer ≥ 1 (threads for training on the CPU), got "${raw}"`,
    );
  return Math.min(MAX_THREADS, n);
}

/** Rounds a byte count up to a 16-byte boundary, plus 16 bytes of slack (vector loads may run over). */
export function regionBytes(bytes: number): number {
  return Math.ceil((bytes + 16) / 16) * 16;
}

/** The pool: one per process, created on first use. */
export class KernelThreads {
  readonly memory: WebAssembly.Memory;
  private readonly kernels: Kernel[];
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (RECOVERED + 1)));
  private readonly workers: Worker[] = [];

  /**
   * @param splitEverything give every thread a share however small the call (tests: so that tiny
   *   volumes still exercise the split across threads)
   */
  constructor(
    readonly threads: number,
    readonly splitEverything = false,
  ) {
    const bytes = readFileSync(new URL('./wasm/kernels.wasm', import.meta.url));
    const module = new WebAssembly.Module(bytes);
    this.memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports;
    this.kernels = KERNELS.map((name) => exports[name] as Kernel);
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        // plain JavaScript: no need for the parent's loaders (tsx in trainer processes)
        execArgv: [],
        workerData: { module, memory: this.memory, control: this.control.buffer, index, names: KERNELS },
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** The memory as floats, at least `bytes` long (growing detaches earlier views: take views after). */
  floats(bytes: number): Float32Array {
    this.ensure(bytes);
    return new Float32Array(this.memory.buffer);
  }

  /** The memory as float64s, at least `bytes` long. */
  doubles(bytes: number): Float64Array {
    this.ensure(bytes);
    return new Float64Array(this.memory.buffer);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    if (bytes > MAX_PAGES * PAGE)
      throw new Error(
        `a kernel needs ${(bytes / 2 ** 30).toFixed(1)} GiB of buffers, more than wasm's 4 GiB`,
      );
    // At least double: every grow interrupts the worker threads, so grow rarely.
    const want = Math.min(MAX_PAGES * PAGE, Math.max(bytes, 2 * have));
    this.memory.grow(Math.ceil((want - have) / PAGE));
  }

  /**
   * Splits [0, total) into contiguous ranges, one per thread, each boundary a multiple of `align` (the
   * last range ends at total). At most total / minPerThread threads get work: waking a thread costs
   * tens of µs, so small calls (coarse levels, 32³ maps) run on fewer threads or only the calling one.
   */
  shares(total: number, scratchOf: (thread: number) => number, align = 1, minPerThread = 1): Share[] {
    const least = this.splitEverything ? 1 : Math.max(1, minPerThread);
    const used = Math.max(1, Math.min(this.threads, Math.floor(total / least)));
    const cut = (t: number) =>
      t >= used ? total : Math.floor(Math.floor((total * t) / used) / align) * align;
    const shares: Share[] = [];
    for (let t = 0; t < this.threads; t++)
      shares.push({ first: cut(t), end: cut(t + 1), scratch: scratchOf(t) });
    return shares;
  }

  /** Runs one kernel on every thread (share 0 on this one) and returns when all are done. */
  run(kernel: KernelName, args: number[], shares: Share[]): void {
    if (args.length > MAX_ARGS) throw new Error(`${kernel}: ${args.length} arguments, at most ${MAX_ARGS}`);
    const ctl = this.control;
    const op = KERNELS.indexOf(kernel);
    ctl[OP] = op;
    args.forEach((v, i) => {
      ctl[ARGS + i] = v;
    });
    ctl[ARGS + MAX_ARGS] = args.length;
    shares.forEach((s, t) => {
      ctl[SHARES + 3 * t] = s.first;
      ctl[SHARES + 3 * t + 1] = s.end;
      ctl[SHARES + 3 * t + 2] = s.scratch;
    });
    ctl[ERROR] = 0;
    // A call that gives no worker a share wakes none (small calls run on this thread alone).
    const busy = shares.findLastIndex((sh, t) => t > 0 && sh.first < sh.end);
    const others = busy > 0 ? this.workers.length : 0;
    if (others > 0) {
      Atomics.store(ctl, PENDING, others);
      Atomics.add(ctl, GEN, 1);
      Atomics.notify(ctl, GEN);
    }
    const own = shares[0];
    let ownError: unknown;
    try {
      if (own.first < own.end) this.kernels[op](...args, own.first, own.end, own.scratch);
    } catch (e) {
      ownError = e; // still wait: the workers must be done before the memory is reused
    }
    for (;;) {
      const pending = Atomics.load(ctl, PENDING);
      if (pending === 0 || others === 0) break;
      if (
        Atomics.wait(ctl, PENDING, pending, WAIT_SLICE_MS) === 'timed-out' &&
        Atomics.load(ctl, PENDING) !== pending
      )
        Atomics.add(ctl, RECOVERED, 1);
    }
    if (ownError !== undefined) throw ownError;
    if (ctl[ERROR] !== 0) throw new Error(`kernel ${kernel} failed in a worker thread`);
  }

  /** Wake-ups lost by Atomics.notify and caught by a wait's timeout, over this pool's life. */
  get recoveredWakeups(): number {
    return Atomics.load(this.control, RECOVERED);
  }

  /** Ends the worker threads (tests; a process that exits needs not call this). */
  async close(): Promise<void> {
    this.control[OP] = STOP;
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

let pool: KernelThreads | undefined;

/** The process's pool (created on first use with SEGNAS_CPU_THREADS or every core). */
export function kernelThreads(): KernelThreads {
  pool ??= new KernelThreads(threadsFromEnv());
  return pool;
}

/**
 * Replaces the pool with one of `threads` threads (benchmarks compare thread counts; tests use 1 and 2,
 * with `splitEverything` so that their small volumes are split too).
 */
export async function setKernelThreads(
  threads: number,
  options: { splitEverything?: boolean } = {},
): Promise<KernelThreads> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new Error(`threads must be an integer in 1..${MAX_THREADS}, got ${threads}`);
  await pool?.close();
  pool = new KernelThreads(threads, options.splitEverything ?? false);
  return pool;
}
