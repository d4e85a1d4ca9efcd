/**
 * When a crashed engine is started again. Restarting at once forever turns a crash at start-up into
 * a busy loop that the user never hears about; instead the delay doubles with each crash in a row
 * (from 0.5 s), and after `maxCrashes` crashes within `windowMs` the engine stays down and the user
 * is told. A crash after a long quiet spell starts the count afresh.
 */

export interface RestartPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 10 * 60_000,
};

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; crashes: number };

/** Records a crash at `now` into `crashTimes` (kept to the window) and decides what to do. */
export function onEngineCrash(
  crashTimes: number[],
  now: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  while (crashTimes.length > 0 && now - crashTimes[0] > policy.windowMs) crashTimes.shift();
  crashTimes.push(now);
  if (crashTimes.length >= policy.maxCrashes) return { restart: false, crashes: crashTimes.length };
  const delayMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (crashTimes.length - 1));
  return { restart: true, delayMs };
}

export function engineDownMessage(crashes: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): string {
  return (
    `The SegNAS engine stopped unexpectedly ${crashes} times within ${Math.round(policy.windowMs / 60_000)} minutes ` +
    'and was not restarted again. Your experiments are safe in the workspace store; searches that were running ' +
    'are marked interrupted and can be resumed. Quit and reopen SegNAS Studio; if this keeps happening, run ' +
    '`segnas serve` from a terminal to see the error.'
  );
}
