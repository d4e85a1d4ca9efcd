/**
 * Every evaluation of the search; sortable and filterable, selecting a row opens its detail, ticking
 * two to four rows compares them. Only the rows in view are in the DOM (fixed row height), so 10,000
 * candidates scroll as smoothly as 10 and every one of them can be reached.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { CandidateSummary } from '../../main/api';
import { type ExperimentStatus, shownCandidateStatus } from '../../main/core/status';
import {
  candidateDiagnosis,
  durationSeconds,
  opsLabel,
  queryCandidates,
  type SortKey,
  type TableQuery,
  updateQuery,
} from '../lib/candidates';
import { formatCount, formatDice, formatDuration } from '../lib/format';

/** Each column's header and width in pixels (the table's layout is fixed, so rows never reflow). */
const COLUMNS: { key: SortKey; title: string; width: number }[] = [
  { key: 'seq', title: '#', width: 58 },
  { key: 'valDice', title: 'Dice', width: 70 },
  { key: 'paramCount', title: 'Params', width: 68 },
  { key: 'n', title: 'n', width: 44 },
  { key: 'p', title: 'p', width: 44 },
  { key: 'sup', title: 'sup', width: 44 },
  { key: 'res', title: 'res', width: 44 },
  { key: 'nodes', title: 'nodes', width: 56 },
  { key: 'status', title: 'Status', width: 76 },
  { key: 'time', title: 'Time', width: 64 },
];

/** `.candidate-table tbody tr` height in styles.css; the rendered height is measured and wins. */
const ROW_HEIGHT = 28;
const OVERSCAN = 10;
export const MAX_COMPARE = 4;

/**
 * The table's rows for a query, patched (not re-sorted) when the candidate list changed only by a
 * few candidates, as it does once per finished candidate during a live search.
 */
function useRows(candidates: CandidateSummary[], query: TableQuery): CandidateSummary[] {
  const last = useRef<
    { candidates: CandidateSummary[]; query: TableQuery; rows: CandidateSummary[] } | undefined
  >(undefined);
  return useMemo(() => {
    const prev = last.current;
    const rows =
      prev && prev.query === query
        ? updateQuery(prev.rows, prev.candidates, candidates, query)
        : queryCandidates(candidates, query);
    last.current = { candidates, query, rows };
    return rows;
  }, [candidates, query]);
}

/** The scrolled window of the table (top, height, measured row height), for drawing only its rows. */
function useScrollWindow() {
  const wrapRef = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 640, row: ROW_HEIGHT });
  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    let frame = 0;
    // Read layout only where it is already up to date (resize observer, scroll), never right after
    // a render: a forced layout of the page costs more than rendering the rows.
    const measure = (height?: number) => {
      const row = (el.querySelector('tr[data-testid="candidate-row"]') as HTMLElement | null)?.offsetHeight;
      setView((v) => {
        const next = {
          top: el.scrollTop,
          height: height ?? v.height,
          // Borders and fonts decide the real row height: measured, or 10,000 rows drift out of place.
          row: row && row > 0 ? row : v.row,
        };
        return next.top === v.top && next.height === v.height && next.row === v.row ? v : next;
      });
    };
    const onScroll = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          measure();
        });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const ro = new ResizeObserver(([entry]) => measure(entry.contentRect.height || undefined));
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  return { wrapRef, view };
}

export const CandidateTable = memo(function CandidateTable(props: {
  candidates: CandidateSummary[];
  /** The search's state: an unfinished row of a search that is not running shows that state, not "running". */
  searchStatus?: ExperimentStatus;
  selectedSeq?: number;
  bestSeq?: number;
  compareSeqs: number[];
  onSelect(seq: number): void;
  onToggleCompare(seq: number): void;
  onCompare(): void;
}) {
  const [query, setQuery] = useState<TableQuery>({ sortBy: 'valDice', descending: true, text: '' });
  const rows = useRows(props.candidates, query);
  const { wrapRef, view } = useScrollWindow();
  const rowHeight = view.row;
  const first = Math.max(0, Math.floor(view.top / rowHeight) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / rowHeight) + OVERSCAN);
  const compare = new Set(props.compareSeqs);
  const sortBy = (key: SortKey) =>
    setQuery((q) => ({
      ...q,
      sortBy: key,
      descending: q.sortBy === key ? !q.descending : key === 'valDice',
    }));
  return (
    <div className="card candidate-table" data-testid="candidate-table">
      <div className="table-toolbar">
        <input
          placeholder="Filter: status, op (e.g. Conv(5,2)), key…"
          value={query.text}
          data-testid="candidate-filter"
          onChange={(e) => setQuery((q) => ({ ...q, text: e.target.value }))}
        />
        <span className="muted small" data-testid="candidate-count">
          {rows.length} of {props.candidates.length}
        </span>
        <button
          type="button"
          data-testid="compare-open"
          disabled={props.compareSeqs.length < 2}
          title="Tick two to four candidates to compare them side by side"
          onClick={props.onCompare}
        >
          Compare{props.compareSeqs.length > 0 ? ` (${props.compareSeqs.length})` : ''}
        </button>
      </div>
      <div className="table-wrap" ref={wrapRef} data-testid="candidate-scroll">
        <table>
          <thead>
            <tr>
              <th title="compare" style={{ width: 34 }}>
                ⇆
              </th>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  onClick={() => sortBy(c.key)}
                  className="sortable"
                  style={{ width: c.width }}
                  data-testid={`sort-${c.key}`}
                >
                  {c.title}
                  {query.sortBy === c.key ? (query.descending ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
              <th style={{ width: 200 }}>Ops</th>
            </tr>
          </thead>
          <tbody>
            {first > 0 && <tr className="spacer" style={{ height: first * rowHeight }} />}
            {rows.slice(first, last).map((c) => (
              <tr
                key={c.seq}
                data-testid="candidate-row"
                data-seq={c.seq}
                className={`${c.seq === props.selectedSeq ? 'selected' : ''} ${c.seq === props.bestSeq ? 'best' : ''}`}
                onClick={() => props.onSelect(c.seq)}
              >
                <td onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
                  <input
                    type="checkbox"
                    aria-label={`compare candidate ${c.seq}`}
                    data-testid="compare-toggle"
                    checked={compare.has(c.seq)}
                    disabled={!compare.has(c.seq) && compare.size >= MAX_COMPARE}
                    onChange={() => props.onToggleCompare(c.seq)}
                  />
                </td>
                <td className="mono">{c.seq}</td>
                <td className="mono">
                  {formatDice(c.valDice)}
                  {candidateDiagnosis(c) && (
                    <span className="diagnosis" data-testid="did-not-learn">
                      {' '}
                      {candidateDiagnosis(c)}
                    </span>
                  )}
                </td>
                <td className="mono">{formatCount(c.paramCount)}</td>
                <td>{c.spec.n}</td>
                <td>{c.spec.p}</td>
                <td>{c.spec.sup ? '✓' : ''}</td>
                <td>{c.spec.res ? '✓' : ''}</td>
                <td>{c.spec.block.nodes}</td>
                <td>
                  <StatusCell candidate={c} searchStatus={props.searchStatus} />
                </td>
                <td className="mono">{formatDuration(durationSeconds(c))}</td>
                <td className="small ops-cell">{opsLabel(c)}</td>
              </tr>
            ))}
            {last < rows.length && (
              <tr className="spacer" style={{ height: (rows.length - last) * rowHeight }} />
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
});

function StatusCell({
  candidate: c,
  searchStatus,
}: {
  candidate: CandidateSummary;
  searchStatus: ExperimentStatus | undefined;
}) {
  const shown = searchStatus ? shownCandidateStatus(c.status, searchStatus) : c.status;
  const title =
    shown !== c.status
      ? 'not training while the search is not running; on resume it goes on from its last finished epoch'
      : (c.reason ?? undefined);
  return (
    <span className={`status status-${shown}`} title={title}>
      {shown}
    </span>
  );
}
