/**
 * Search progress for the terminal: on a TTY one status line redrawn in place (bar, current candidate,
 * best so far, ETA) with finished candidates scrolling above it; otherwise one plain line per event, so
 * logs and CI output stay readable. Formatting is pure; `createProgressPrinter` owns the output stream.
 */
import type { SearchEvent } from '../api';
import { formatCount } from '../core/format';
import { learningDiagnosis } from '../core/learningDiagnosis';
import { etaFromSteps } from '../core/progress';
import { type ArchitectureSpec, describeSpec } from '../core/spec';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progressBar(done: number, total: number, width = 24): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

export interface ProgressState {
  done: number;
  total: number;
  etaSeconds?: number;
  current?: { seq: number; what: string; epoch?: number; epochs?: number; step?: number; steps?: number };
  best?: { seq: number; valDice: number };
}

export function statusLine(s: ProgressState): string {
  const parts = [`${progressBar(s.done, s.total)} ${s.done}/${s.total}`];
  if (s.current) {
    const c = s.current;
    const epoch = c.epoch ? ` epoch ${c.epoch}${c.epochs ? `/${c.epochs}` : ''}` : '';
    const step = c.step && c.steps ? ` step ${c.step}/${c.steps}` : '';
    parts.push(`#${c.seq} ${c.what}${epoch}${step}`);
  }
  parts.push(s.best ? `best #${s.best.seq} Dice ${s.best.valDice.toFixed(3)}` : 'best –');
  if (s.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(s.etaSeconds)}`);
  return parts.join('  ');
}

/** Finished evaluations: a candidate left in training by a pause, stop or crash is not one yet. */
const finishedOf = (summary: { total: number; counts: { running?: number } }) =>
  summary.total - (summary.counts.running ?? 0);

function progressSuffix(p: { done: number; total: number; etaSeconds?: number }): string {
  return `  [${p.done}/${p.total}${p.etaSeconds !== undefined ? `, ETA ${formatDuration(p.etaSeconds)}` : ''}]`;
}

/** The permanent line for an event, or undefined for events that only move the status line. */
export function eventLine(event: SearchEvent): string | undefined {
  switch (event.type) {
    case 'search-started':
      return `experiment ${event.experimentId} "${event.summary.name}": ${finishedOf(event.summary)}/${event.summary.evaluationsBudget} evaluations recorded, backend ${event.summary.backend} (${event.summary.device})`;
    case 'candidate-finished': {
      const c = event.candidate;
      const diagnosis = c.status === 'trained' ? learningDiagnosis(c.curve) : null;
      const dice =
        c.valDice === null ? '' : ` val Dice ${c.valDice.toFixed(3)}${diagnosis ? ` ${diagnosis}` : ''}`;
      const secs = c.endedAt
        ? ` in ${formatDuration((Date.parse(c.endedAt) - Date.parse(c.startedAt)) / 1000)}`
        : '';
      const why =
        c.status === 'trained' || c.status === 'cached' || !c.reason ? '' : ` (${c.reason.slice(0, 100)})`;
      return `#${c.seq} ${c.status}${dice} f ${c.f?.toFixed(3)}${c.status === 'trained' ? secs : ''}  ${describeSpec(c.spec)}${why}  [${event.progress.done}/${event.progress.total}${event.progress.etaSeconds !== undefined ? `, ETA ${formatDuration(event.progress.etaSeconds)}` : ''}]`;
    }
    case 'best-changed':
      return `best so far: candidate #${event.seq}, validation Dice ${event.valDice.toFixed(3)}`;
    case 'search-paused':
      return 'search paused';
    case 'search-resumed':
      return `experiment ${event.experimentId} resumed`;
    case 'search-finished':
      return event.status === 'finished' ? 'search finished' : 'search stopped';
    case 'search-failed':
      return `search failed: ${event.message}`;
    case 'test-evaluated':
      return event.result.results
        .map(
          (r) =>
            `test Dice of candidate #${r.seq} (split ${r.split}): ${r.meanDice.toFixed(3)}  ${Object.entries(
              r.perLabelDice,
            )
              .map(([k, v]) => `${k} ${v.toFixed(3)}`)
              .join(', ')}`,
        )
        .join('\n');
    case 'final-started':
      return `final training of candidate #${event.seq}: ${event.epochs} epochs on train + validation${progressSuffix(event.progress)}`;
    case 'final-finished': {
      const f = event.final;
      const took = f.seconds !== null ? ` (trained in ${formatDuration(f.seconds)})` : '';
      if (f.status !== 'tested')
        return `final training of candidate #${f.seq} ${f.status}: ${f.reason ?? ''}${progressSuffix(event.progress)}`;
      return `final test Dice of candidate #${f.seq}: ${f.meanDice?.toFixed(3)}  ${Object.entries(
        f.perLabelDice ?? {},
      )
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')}${took}${progressSuffix(event.progress)}`;
    }
    default:
      return undefined;
  }
}

export interface ProgressPrinter {
  (event: SearchEvent): void;
  /** Clears the status line (call before printing anything else, and at the end). */
  clear(): void;
}

export function createProgressPrinter(out: NodeJS.WriteStream = process.stdout): ProgressPrinter {
  const tty = Boolean(out.isTTY);
  const state: ProgressState = { done: 0, total: 0 };
  /** Epochs of each final training in progress, so a log gets about 20 lines per final training. */
  const finalEpochs = new Map<number, number>();
  let finishedThisRun = false;
  let drawn = false;
  const clear = () => {
    if (tty && drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const redraw = () => {
    if (!tty) return;
    const width = out.columns ?? 100;
    out.write(`\r\x1b[2K${statusLine(state).slice(0, width - 1)}`);
    drawn = true;
  };
  const printer = (event: SearchEvent) => {
    switch (event.type) {
      case 'search-started':
        state.done = finishedOf(event.summary);
        state.total = event.summary.evaluationsBudget;
        if (event.summary.best?.valDice != null)
          state.best = { seq: event.summary.best.seq, valDice: event.summary.best.valDice };
        break;
      case 'candidate-started':
        state.current = {
          seq: event.seq,
          what: describeWithParams(event.spec, event.params),
        };
        break;
      case 'epoch':
        if (state.current?.seq === event.seq) state.current.epoch = event.point.epoch;
        break;
      case 'step':
        if (state.current?.seq === event.seq) {
          Object.assign(state.current, {
            epoch: event.progress.epoch,
            epochs: event.progress.epochs,
            step: event.progress.step,
            steps: event.progress.steps,
          });
          // Until a candidate has finished in this run, the measured steps are the only clock.
          if (!finishedThisRun) state.etaSeconds = etaFromSteps(event.progress, state.total - state.done);
        }
        break;
      case 'candidate-finished':
        finishedThisRun = true;
        state.done = event.progress.done;
        state.total = event.progress.total;
        state.etaSeconds = event.progress.etaSeconds;
        if (state.current?.seq === event.candidate.seq) state.current = undefined;
        break;
      case 'best-changed':
        state.best = { seq: event.seq, valDice: event.valDice };
        break;
      case 'final-started':
      case 'final-epoch':
      case 'final-finished':
        if (event.type === 'final-started') finalEpochs.set(event.seq, event.epochs);
        state.done = event.progress.done;
        state.total = event.progress.total;
        state.etaSeconds = event.progress.etaSeconds;
        state.current =
          event.type === 'final-finished'
            ? undefined
            : {
                seq: event.seq,
                what: 'final training',
                ...(event.type === 'final-epoch' && { epoch: event.point.epoch }),
              };
        break;
    }
    const line = eventLine(event);
    if (line !== undefined) {
      clear();
      out.write(`${line}\n`);
    } else if (!tty && event.type === 'candidate-started') {
      out.write(`#${event.seq} training ${describeWithParams(event.spec, event.params)}\n`);
    } else if (!tty && event.type === 'final-epoch') {
      const epochs = finalEpochs.get(event.seq) ?? 0;
      const every = Math.max(1, Math.round(epochs / 20));
      const p = event.point;
      if (p.epoch % every === 0 || p.epoch === epochs)
        out.write(
          `final #${event.seq} epoch ${p.epoch}/${epochs || '?'} loss ${p.loss.toFixed(3)} lr ${p.learningRate.toExponential(2)}${progressSuffix(event.progress)}\n`,
        );
    }
    redraw();
  };
  return Object.assign(printer, { clear });
}

function describeWithParams(spec: ArchitectureSpec, params: number | null): string {
  return params === null ? describeSpec(spec) : `${describeSpec(spec)}, ${formatCount(params)} parameters`;
}
