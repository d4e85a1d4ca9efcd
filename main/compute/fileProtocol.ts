/**
 * The file mode of the trainer protocol, for trainers that run where no pipe reaches them (a Slurm job
 * on another node). The messages are those of protocol.ts; only the transport changes:
 *
 * - the job is read from a file holding one caller message (`{"type":"train","job":…}`);
 * - `ready`, `epoch` and `heartbeat` messages are appended, one JSON line each, to an events file;
 * - the final message (`result` or `failed`) is written to a result file by atomic rename, so a reader
 *   sees either nothing or the whole message.
 *
 * The files sit on a filesystem that the caller and the trainer share. The caller checks every line
 * it reads back with the same schemas as in pipe mode (parseFromTrainer): a malformed line fails that
 * candidate with a reason, never the caller.
 */
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { type FromTrainer, parseFromTrainer, parseToTrainer, type ToTrainer } from './protocol';

export interface FileModePaths {
  jobFile: string;
  events: string;
  result: string;
  /** Seconds between heartbeat lines while the job runs. */
  heartbeatS: number;
}

export const DEFAULT_HEARTBEAT_S = 30;

/** The trainer's command-line arguments for file mode (both engines take the same ones). */
export function fileModeArgs(p: FileModePaths): string[] {
  return [
    '--job-file',
    p.jobFile,
    '--events',
    p.events,
    '--result',
    p.result,
    '--heartbeat',
    String(p.heartbeatS),
  ];
}

/** File mode's arguments from a trainer's argv; undefined when it was started in pipe mode. */
export function parseFileModeArgs(argv: readonly string[]): FileModePaths | undefined {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const jobFile = value('--job-file');
  if (jobFile === undefined) return undefined;
  const events = value('--events');
  const result = value('--result');
  if (!events || !result) throw new Error('file mode needs --job-file, --events and --result');
  const heartbeat = Number(value('--heartbeat') ?? DEFAULT_HEARTBEAT_S);
  if (!(heartbeat > 0)) throw new Error(`--heartbeat must be a positive number of seconds`);
  return { jobFile, events, result, heartbeatS: heartbeat };
}

/** Reads and checks a job file; throws naming the file and the field. */
export async function readJobFile(path: string): Promise<Extract<ToTrainer, { type: 'train' | 'predict' }>> {
  const text = await readFile(path, 'utf8');
  let msg: ToTrainer;
  try {
    msg = parseToTrainer(text.trim());
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (msg.type !== 'train' && msg.type !== 'predict')
    throw new Error(`${path}: a job file holds a train or predict message, not '${msg.type}'`);
  return msg;
}

/** Appends one message to the events file (synchronously, so that lines never interleave). */
export function appendEvent(path: string, msg: FromTrainer): void {
  appendFileSync(path, `${JSON.stringify(msg)}\n`);
}

/** Writes `content` to `path` through a temporary file and a rename: readers see all of it or nothing. */
export function writeAtomically(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export type ReadOutcome<T> = { ok: true; msg: T } | { ok: false; reason: string };

/** The final message, when the trainer has written it; undefined while there is none. */
export async function readResultFile(path: string): Promise<ReadOutcome<FromTrainer> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { ok: false, reason: `${path} cannot be read: ${(e as Error).message}` };
  }
  const parsed = parseFromTrainer(text.trim());
  if (!parsed.ok) return { ok: false, reason: `${path}: ${parsed.reason}` };
  if (parsed.msg.type !== 'result' && parsed.msg.type !== 'failed')
    return { ok: false, reason: `${path}: a result file holds result or failed, not '${parsed.msg.type}'` };
  return parsed;
}

/**
 * Follows an events file as the trainer appends to it: each read() returns the complete lines added
 * since the last one, each checked (a partial last line waits for the next read).
 */
export class EventTail {
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);

  constructor(readonly path: string) {}

  /** Bytes read so far; grows whenever the trainer wrote something. */
  get position(): number {
    return this.offset;
  }

  async read(): Promise<ReadOutcome<FromTrainer>[]> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return [{ ok: false, reason: `${this.path} cannot be read: ${(e as Error).message}` }];
    }
    const chunks: Buffer[] = [];
    try {
      for (;;) {
        const buf = Buffer.alloc(1 << 16);
        const { bytesRead } = await handle.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        chunks.push(buf.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    if (chunks.length === 0) return [];
    // Split on bytes, so that a character cut between two reads is decoded whole.
    const bytes = Buffer.concat([this.partial, ...chunks]);
    const end = bytes.lastIndexOf(0x0a) + 1;
    this.partial = Buffer.from(bytes.subarray(end));
    return bytes
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => parseFromTrainer(l));
  }
}
