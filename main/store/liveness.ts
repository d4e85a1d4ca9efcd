/**
 * Whether the process that owns a running experiment still exists. Only the edge that asks the OS
 * lives here; the decision itself (`interruptionCause`) is a pure function.
 */
import { hostname } from 'node:os';
import type { InterruptionCause, IsoTime, ProcessOwner } from './types';

export function currentOwner(): ProcessOwner {
  return { pid: process.pid, host: hostname() };
}

/** Signal 0 checks existence without touching the process; EPERM means it exists as another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * On this host the owner's pid is authoritative (a slow epoch can delay heartbeats arbitrarily, so
 * a live owner is never declared dead). On another host only the heartbeat's age can tell.
 */
export function interruptionCause(
  owner: ProcessOwner | null,
  heartbeatAt: IsoTime | null,
  here: { host: string; now: Date; staleAfterMs: number; isAlive: (pid: number) => boolean },
): InterruptionCause | null {
  if (!owner) return 'owner-exited';
  if (owner.host === here.host) return here.isAlive(owner.pid) ? null : 'owner-exited';
  const last = heartbeatAt ? Date.parse(heartbeatAt) : Number.NaN;
  if (Number.isNaN(last) || here.now.getTime() - last > here.staleAfterMs) return 'heartbeat-stale';
  return null;
}
