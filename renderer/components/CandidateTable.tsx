/** Every evaluation of the search; sortable and filterable, selecting a row opens its detail. */
import { memo, useMemo, useState } from 'react';
import type { Candidate } from '../../main/api';
import { durationSeconds, opsLabel, queryCandidates, type SortKey, type TableQuery } from '../lib/candidates';
import { formatCount, formatDice, formatDuration } from '../lib/format';

const COLUMNS: { key: SortKey; title: string }[] = [
  { key: 'seq', title: '#' },
  { key: 'valDice', title: 'Dice' },
  { key: 'paramCount', title: 'Params' },
  { key: 'n', title: 'n' },
  { key: 'p', title: 'p' },
  { key: 'sup', title: 'sup' },
  { key: 'res', title: 'res' },
  { key: 'nodes', title: 'nodes' },
  { key: 'status', title: 'Status' },
  { key: 'time', title: 'Time' },
];

/** Rendering is capped; the filter and sort still see every row. */
const MAX_ROWS = 500;

export const CandidateTable = memo(function CandidateTable(props: {
  candidates: Candidate[];
  selectedSeq?: number;
  bestSeq?: number;
  onSelect(seq: number): void;
}) {
  const [query, setQuery] = useState<TableQuery>({ sortBy: 'valDice', descending: true, text: '' });
  const rows = useMemo(() => queryCandidates(props.candidates, query), [props.candidates, query]);
  const sortBy = (key: SortKey) =>
    setQuery((q) => ({
      ...q,
      sortBy: key,
      descending: q.sortBy === key ? !q.descending : key === 'valDice',
    }));
  return (
    <div className="candidate-table" data-testid="candidate-table">
      <div className="table-toolbar">
        <input
          placeholder="Filter: status, op (e.g. Conv(5,2)), key…"
          value={query.text}
          data-testid="candidate-filter"
          onChange={(e) => setQuery((q) => ({ ...q, text: e.target.value }))}
        />
        <span className="muted small">
          {rows.length} of {props.candidates.length}
        </span>
      </div>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} onClick={() => sortBy(c.key)} className="sortable">
                  {c.title}
                  {query.sortBy === c.key ? (query.descending ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
              <th>Ops</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((c) => (
              <tr
                key={c.seq}
                data-testid="candidate-row"
                data-seq={c.seq}
                className={`${c.seq === props.selectedSeq ? 'selected' : ''} ${c.seq === props.bestSeq ? 'best' : ''}`}
                onClick={() => props.onSelect(c.seq)}
              >
                <td className="mono">{c.seq}</td>
                <td className="mono">{formatDice(c.valDice)}</td>
                <td className="mono">{formatCount(c.paramCount)}</td>
                <td>{c.spec.n}</td>
                <td>{c.spec.p}</td>
                <td>{c.spec.sup ? '✓' : ''}</td>
                <td>{c.spec.res ? '✓' : ''}</td>
                <td>{c.spec.block.nodes}</td>
                <td>
                  <span className={`status status-${c.status}`} title={c.reason ?? undefined}>
                    {c.status}
                  </span>
                </td>
                <td className="mono">{formatDuration(durationSeconds(c))}</td>
                <td className="small">{opsLabel(c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
});
