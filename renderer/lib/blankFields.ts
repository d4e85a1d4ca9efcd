/**
 * Number inputs that are empty (or not a number) hold NaN, which JSON turns into null and the
 * engine's schema rejects as a malformed request. Caught here so the form explains the field inline.
 */
import type { SearchConfig, ValidationIssue } from '../../main/api';

export function blankNumberIssues(config: SearchConfig): ValidationIssue[] {
  const numbers: [string, number][] = [
    ['training.size', config.training.size],
    ['training.epochs', config.training.epochs],
    ['training.batch', config.training.batch],
    ['training.learningRate', config.training.learningRate],
    ['evaluations', config.evaluations],
    ['seed', config.seed],
  ];
  return numbers
    .filter(([, value]) => !Number.isFinite(value))
    .map(([field]) => ({ field, message: 'enter a number' }));
}
