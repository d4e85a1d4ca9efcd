/**
 * Whether the process that owns a running experiment still runs it. Only the edges that ask the OS
 * live here; the decision itself (`interruptionCause`) is a pure function.
 *
 * A pid alone is not an identity: after a kill -9 the pid may belong to a zombie that nobody reaps
 * (PID 1 in many containers), and after a container restart to an unrelated process. An owner is
 * therefore its pid plus the process's start time (Linux: boot id + start tick from /proc), and a
 * zombie counts as gone.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { InterruptionCause, IsoTime, ProcessOwner } from './types';

interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), T (stopped), … */
  state: string;
  /** `<boot id>:<start time in clock ticks since boot>`: unique for the machine's uptime. */
  started: string;
}

let bootId: string | null | undefined;
function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/** State and start identity of a process from /proc, or undefined where there is no /proc (macOS, Windows) or no such process. */
export function procStat(pid: number): ProcStat | undefined {
  const boot = readBootId();
  if (boot === null) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0], started: `${boot}:${rest[19]}` };
}

/** Start identity of a process; null where the OS gives none (then the pid alone is used). */
export function processStarted(pid: number): string | null {
  return procStat(pid)?.started ?? null;
}

let self: ProcessOwner | undefined;
export function currentOwner(): ProcessOwner {
  self ??= { pid: process.pid, host: hostname(), started: processStarted(process.pid) };
  return { ...self };
}

/** Signal 0 checks existence without touching the process; EPERM means it exists as another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  return !stat || (stat.state !== 'Z' && stat.state !== 'X');
}

/** The owner (same host) still exists: its pid is alive, not a zombie, and started when the owner did. */
export function isOwnerAlive(owner: ProcessOwner): boolean {
  if (!isProcessAlive(owner.pid)) return false;
  if (!owner.started) return true;
  const now = processStarted(owner.pid);
  return now === null || now === owner.started;
}

function sameProcess(a: ProcessOwner, b: ProcessOwner): boolean {
  return a.pid === b.pid && a.host === b.host && (a.started ?? null) === (b.started ?? null);
}

/**
 * On this host the owner's identity is authoritative (a slow epoch can delay heartbeats arbitrarily,
 * so a live owner is never declared dead); when the owner is this very process, it must also be
 * running the experiment (`runsHere`), or the experiment was left behind. On another host only the
 * heartbeat's age can tell.
 */
export function interruptionCause(
  owner: ProcessOwner | null,
  heartbeatAt: IsoTime | null,
  here: {
    host: string;
    now: Date;
    staleAfterMs: number;
    isAlive: (owner: ProcessOwner) => boolean;
    self?: ProcessOwner;
    runsHere?: () => boolean;
  },
): InterruptionCause | null {
  if (!owner) return 'owner-exited';
  if (owner.host === here.host) {
    if (here.self && here.runsHere && sameProcess(owner, here.self))
      return here.runsHere() ? null : 'owner-exited';
    return here.isAlive(owner) ? null : 'owner-exited';
  }
  const last = heartbeatAt ? Date.parse(heartbeatAt) : Number.NaN;
  if (Number.isNaN(last) || here.now.getTime() - last > here.staleAfterMs) return 'heartbeat-stale';
  return null;
}
