/** Sorting and filtering of the candidate table, pure so they can be tested and memoised. */

import type { Candidate } from '../../main/api';
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

export function durationSeconds(c: Candidate): number | null {
  if (!c.endedAt) return null;
  return (Date.parse(c.endedAt) - Date.parse(c.startedAt)) / 1000;
}

export function opsLabel(c: Candidate): string {
  return c.spec.block.ops.map((op) => OPS[op]?.label ?? String(op)).join(' · ');
}

function sortValue(c: Candidate, key: SortKey): number | string | null {
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
      return durationSeconds(c);
  }
}

/** Rows without a value sort last whatever the direction, so "best Dice first" never starts with blanks. */
export function queryCandidates(candidates: readonly Candidate[], q: TableQuery): Candidate[] {
  const text = q.text.trim().toLowerCase();
  const rows = candidates.filter((c) => {
    if (q.minDice !== undefined && (c.valDice ?? -1) < q.minDice) return false;
    if (!text) return true;
    const hay = `${c.status} ${opsLabel(c)} ${c.key} #${c.seq}`.toLowerCase();
    return hay.includes(text);
  });
  const dir = q.descending ? -1 : 1;
  return rows.sort((a, b) => {
    const va = sortValue(a, q.sortBy);
    const vb = sortValue(b, q.sortBy);
    if (va === null && vb === null) return a.seq - b.seq;
    if (va === null) return 1;
    if (vb === null) return -1;
    if (va < vb) return -dir;
    if (va > vb) return dir;
    return a.seq - b.seq;
  });
}
