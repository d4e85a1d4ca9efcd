/**
 * Turns an experiment's candidates into rows page by page and, within a page, a slice at a time,
 * yielding to the page between slices: at 10,000 candidates building every row (and its sort keys and
 * filter text) in one go would be one task long enough to freeze the page. The next page is asked for
 * before this one is decoded, so that the engine reads it meanwhile.
 */
import {
  CANDIDATE_PAGE,
  type CandidateColumns,
  type CandidateSummary,
  candidateCount,
  decodeCandidates,
} from '../../main/api';
import { prepareCandidates } from './candidates';

/** Rows per slice: a few milliseconds of work each on a slow machine. */
const SLICE = 2000;

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The page of candidates after seq `afterSeq` (getCandidatePage). */
export type NextPage = (afterSeq: number) => Promise<CandidateColumns>;

export async function loadCandidates(
  first: CandidateColumns,
  nextPage?: NextPage,
  yieldToPage: () => Promise<void> = nextTask,
): Promise<CandidateSummary[]> {
  const rows: CandidateSummary[] = [];
  let cols = first;
  for (;;) {
    const count = candidateCount(cols);
    const next = count >= CANDIDATE_PAGE && nextPage ? nextPage(cols.seq[count - 1]) : undefined;
    // Awaited after this page is decoded; until then a failure must not count as unhandled.
    next?.catch(() => {});
    // Each slice in a task of its own, apart from the message it came in (parsing that is a task
    // already) and from the render of the rows that follows.
    for (let from = 0; from < count; from += SLICE) {
      await yieldToPage();
      const slice = decodeCandidates(cols, from, from + SLICE);
      prepareCandidates(slice);
      for (const c of slice) rows.push(c);
    }
    if (!next) break;
    cols = await next;
  }
  await yieldToPage();
  return rows;
}
