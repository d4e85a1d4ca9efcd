/**
 * The trainer watchdog. A trainer stuck in native code or deadlocked says nothing; the watchdog
 * notices the silence and the caller kills the trainer, fails that candidate and goes on.
 *
 * Silence is measured against the job's own pace: no message for max(factor × median epoch time,
 * floor) seconds means hung. The floor covers the time before the first epoch (network build,
 * kernel compilation) and makes short epochs no hair trigger.
 */

export interface WatchdogSettings {
  /** Seconds of silence always tolerated. */
  floorS: number;
  /** Multiple of the median epoch time tolerated. */
  factor: number;
  /** Seconds an unanswered cancel (or shutdown) is given before the trainer is killed. */
  cancelGraceS: number;
  /** Seconds to wait for a killed trainer to be reaped before giving up on it. */
  killWaitS: number;
}

/** Defaults; $SEGNAS_TRAINER_HANG_FLOOR_S overrides the floor (a paper-scale first epoch on a CPU is slow). */
export function defaultWatchdogSettings(env: NodeJS.ProcessEnv = process.env): WatchdogSettings {
  const floor = Number(env.SEGNAS_TRAINER_HANG_FLOOR_S);
  return {
    floorS: Number.isFinite(floor) && floor > 0 ? floor : 1800,
    factor: 10,
    cancelGraceS: 15,
    killWaitS: 5,
  };
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Seconds of silence after which a trainer with these epoch times counts as hung. */
export function hangLimitS(
  epochSeconds: readonly number[],
  settings: Pick<WatchdogSettings, 'floorS' | 'factor'>,
): number {
  const m = median(epochSeconds);
  return Math.max(settings.floorS, m === undefined ? 0 : settings.factor * m);
}

/** Calls `onHang(silentS)` once when no `progress()` came for the current limit. */
export class ProgressWatchdog {
  private timer?: NodeJS.Timeout;
  private readonly epochs: number[] = [];
  private last = Date.now();

  constructor(
    private readonly settings: Pick<WatchdogSettings, 'floorS' | 'factor'>,
    private readonly onHang: (silentS: number) => void,
  ) {}

  start(): void {
    this.last = Date.now();
    this.arm();
  }

  /** A message from the trainer; with `epochSeconds`, one more epoch for the pace. */
  progress(epochSeconds?: number): void {
    if (epochSeconds !== undefined && Number.isFinite(epochSeconds) && epochSeconds >= 0)
      this.epochs.push(epochSeconds);
    this.last = Date.now();
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get limitS(): number {
    return hangLimitS(this.epochs, this.settings);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const wait = Math.max(0, this.last + this.limitS * 1000 - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onHang(Math.round((Date.now() - this.last) / 1000));
    }, wait);
    this.timer.unref();
  }
}
