/**
 * Sorting and filtering of the candidate table, pure so they can be tested and memoised. Sort keys
 * and filter text are derived once per candidate (cached by object identity), never inside the
 * comparator, and a finished candidate is inserted into the sorted rows instead of re-sorting them.
 */

import type { CandidateSummary } from '../../main/api';
import { isoToMs } from '../../main/core/isoTime';
import { OPS } from '../../main/core/spec';

export const SORT_KEYS = [
  'seq',
  'valDice',
  'paramCount',
  'n',
  'p',
  'sup',
  'res',
  'nodes',
  'status',
  'time',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface TableQuery {
  sortBy: SortKey;
  descending: boolean;
  /** Free text matched against status, ops and key, e.g. "trained", "Conv(5,2)", "oom". */
  text: string;
  minDice?: number;
}

interface Derived {
  seconds: number | null;
  ops: string;
  /** Lower-case text the filter searches. */
  hay: string;
}

// Candidates are immutable (a change replaces the object), so what is derived from one stays valid.
const derivedCache = new WeakMap<CandidateSummary, Derived>();

const timeMs = (iso: string) => isoToMs(iso) ?? Date.parse(iso);

function derived(c: CandidateSummary): Derived {
  let d = derivedCache.get(c);
  if (!d) {
    const ops = c.spec.block.ops.map((op) => OPS[op]?.label ?? String(op)).join(' · ');
    d = {
      seconds: c.endedAt ? (timeMs(c.endedAt) - timeMs(c.startedAt)) / 1000 : null,
      ops,
      hay: `${c.status} ${ops} ${c.key} #${c.seq}`.toLowerCase(),
    };
    derivedCache.set(c, d);
  }
  return d;
}

/** Derives the sort keys and filter text of `candidates` ahead of their first query (while they load). */
export function prepareCandidates(candidates: readonly CandidateSummary[]): void {
  for (const c of candidates) derived(c);
}

/** "did not learn (…)" for a trained candidate whose curve says it never learned, else null. */
export function candidateDiagnosis(c: CandidateSummary): string | null {
  return c.diagnosis;
}

export function durationSeconds(c: CandidateSummary): number | null {
  return derived(c).seconds;
}

export function opsLabel(c: CandidateSummary): string {
  return derived(c).ops;
}

function sortValue(c: CandidateSummary, key: SortKey): number | string | null {
  switch (key) {
    case 'seq':
      return c.seq;
    case 'valDice':
      return c.valDice;
    case 'paramCount':
      return c.paramCount;
    case 'n':
      return c.spec.n;
    case 'p':
      return c.spec.p;
    case 'sup':
      return c.spec.sup ? 1 : 0;
    case 'res':
      return c.spec.res ? 1 : 0;
    case 'nodes':
      return c.spec.block.nodes;
    case 'status':
      return c.status;
    case 'time':
      return derived(c).seconds;
  }
}

function matches(c: CandidateSummary, q: TableQuery, text: string): boolean {
  if (q.minDice !== undefined && (c.valDice ?? -1) < q.minDice) return false;
  return !text || derived(c).hay.includes(text);
}

/** Rows without a value sort last whatever the direction; ties by seq, so the order is total. */
function compareRows(q: TableQuery) {
  const dir = q.descending ? -1 : 1;
  return (a: { c: CandidateSummary; v: number | string | null }, b: typeof a): number => {
    const va = a.v;
    const vb = b.v;
    if (va === null && vb === null) return a.c.seq - b.c.seq;
    if (va === null) return 1;
    if (vb === null) return -1;
    if (va < vb) return -dir;
    if (va > vb) return dir;
    return a.c.seq - b.c.seq;
  };
}

/** Rows without a value sort last whatever the direction, so "best Dice first" never starts with blanks. */
export function queryCandidates<C extends CandidateSummary>(candidates: readonly C[], q: TableQuery): C[] {
  const text = q.text.trim().toLowerCase();
  const keyed: { c: C; v: number | string | null }[] = [];
  for (const c of candidates) if (matches(c, q, text)) keyed.push({ c, v: sortValue(c, q.sortBy) });
  keyed.sort(compareRows(q));
  return keyed.map((k) => k.c);
}

/** Beyond this many changed candidates a full query is as cheap as patching the rows. */
const PATCH_LIMIT = 256;

/**
 * The rows of `next` for query `q`, given the rows `rows` the same query gave for `prev`: candidates
 * replaced or added since are removed and inserted by binary search (O(n) moves, no sort). Falls back
 * to a full query when too much changed. Both lists are sorted by seq, as the live state keeps them.
 */
export function updateQuery<C extends CandidateSummary>(
  rows: readonly C[],
  prev: readonly C[],
  next: readonly C[],
  q: TableQuery,
): C[] {
  const changed: C[] = [];
  const gone = new Set<number>();
  let i = 0;
  let j = 0;
  while (i < prev.length || j < next.length) {
    const a = prev[i];
    const b = next[j];
    if (a === b) {
      i++;
      j++;
    } else if (b === undefined || (a !== undefined && a.seq < b.seq)) {
      gone.add(a.seq);
      i++;
    } else if (a === undefined || b.seq < a.seq) {
      changed.push(b);
      j++;
    } else {
      gone.add(a.seq);
      changed.push(b);
      i++;
      j++;
    }
    if (changed.length + gone.size > PATCH_LIMIT) return queryCandidates(next, q);
  }
  if (changed.length === 0 && gone.size === 0) return rows.slice();
  const out = gone.size > 0 ? rows.filter((r) => !gone.has(r.seq)) : rows.slice();
  const text = q.text.trim().toLowerCase();
  const cmp = compareRows(q);
  for (const c of changed) {
    if (!matches(c, q, text)) continue;
    const item = { c, v: sortValue(c, q.sortBy) };
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp({ c: out[mid], v: sortValue(out[mid], q.sortBy) }, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, c);
  }
  return out;
}
