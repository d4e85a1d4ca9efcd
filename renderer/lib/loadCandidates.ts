/**
 * Turns an experiment's candidate columns into rows a slice at a time, yielding to the page between
 * slices: at 10,000 candidates building every row (and its sort keys and filter text) in one go would
 * be one task long enough to freeze the page.
 */
import {
  type CandidateColumns,
  type CandidateSummary,
  candidateCount,
  decodeCandidates,
} from '../../main/api';
import { prepareCandidates } from './candidates';

/** Rows per slice: a few milliseconds of work each on a slow machine. */
const SLICE = 2000;

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function loadCandidates(
  cols: CandidateColumns,
  yieldToPage: () => Promise<void> = nextTask,
): Promise<CandidateSummary[]> {
  const rows: CandidateSummary[] = [];
  const count = candidateCount(cols);
  // Each slice in a task of its own, apart from the message it came in (parsing that is a task
  // already) and from the render of the rows that follows.
  for (let from = 0; from < count; from += SLICE) {
    await yieldToPage();
    const slice = decodeCandidates(cols, from, from + SLICE);
    prepareCandidates(slice);
    for (const c of slice) rows.push(c);
  }
  await yieldToPage();
  return rows;
}
