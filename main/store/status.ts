/**
 * Which experiment status changes make sense. A search that is not running can be resumed unless it
 * finished; only a running search can pause, finish or be found interrupted. A finished one runs again
 * only for the final training of its winners (`segnas evaluate --final-epochs`), which pauses, stops and
 * survives a crash like the search.
 */
import type { ExperimentStatus } from './types';

const ALLOWED: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  running: ['paused', 'stopped', 'finished', 'failed', 'interrupted'],
  paused: ['running', 'stopped', 'failed'],
  stopped: ['running'],
  interrupted: ['running', 'stopped', 'failed'],
  failed: ['running'],
  finished: ['running'],
};

export function canTransition(from: ExperimentStatus, to: ExperimentStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Message for a refused change, saying what the user can do instead. */
export function transitionError(id: number, from: ExperimentStatus, to: ExperimentStatus): string {
  const allowed = ALLOWED[from];
  const options = allowed.length > 0 ? `it can only become ${allowed.join(', ')}` : 'it is final';
  return `experiment ${id} is ${from} and cannot become ${to}: ${options}`;
}
