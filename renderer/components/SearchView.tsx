/** Step 3: the running (or reopened) search: controls, charts, table, and the selected candidate. */
import { useCallback, useState } from 'react';
import { type BackendRequestRecord, describeResolvedBackend } from '../../main/core/backendKey';
import { useApp } from '../context';
import { formatDice } from '../lib/format';
import { CandidateDetail } from './CandidateDetail';
import { CandidateTable } from './CandidateTable';
import { CompareView } from './CompareView';
import { DiceChart } from './DiceChart';
import { ExportMenu } from './ExportMenu';
import { InsightsPanel } from './InsightsPanel';
import { LiveBest } from './LiveBest';
import { MethodsPanel } from './MethodsPanel';
import { SearchControls } from './SearchControls';
import { FinalResults, TestResults } from './TestResults';

export function SearchView() {
  const live = useApp((s) => s.live);
  const selectedSeq = useApp((s) => s.selectedSeq);
  const select = useApp((s) => s.selectCandidate);
  const compareSeqs = useApp((s) => s.compareSeqs);
  const comparing = useApp((s) => s.comparing);
  const toggleCompare = useApp((s) => s.toggleCompare);
  const setComparing = useApp((s) => s.setComparing);
  const [showInsights, setShowInsights] = useState(false);
  const busy = useApp((s) => s.busy);
  const dataset = useApp((s) => s.dataset);
  const setView = useApp((s) => s.setView);
  // Stable callbacks keep the memoised table and charts from re-rendering on unrelated changes.
  const openCompare = useCallback(() => setComparing(true), [setComparing]);

  if (!live)
    return (
      <section className="panel empty-state">
        <h2>No search yet</h2>
        <p className="muted">Start one from the setup, or reopen a past experiment.</p>
        <div className="row">
          <button type="button" className="primary" onClick={() => setView('setup')}>
            Set up a search
          </button>
          <button type="button" onClick={() => setView('experiments')}>
            Experiments
          </button>
        </div>
      </section>
    );

  const selected = live.candidates.find((c) => c.seq === selectedSeq);
  const best = live.candidates.find((c) => c.seq === live.bestSeq);
  const datasetPath =
    (live.config?.datasetPath as string | undefined) ??
    live.summary?.datasetPath ??
    dataset?.root ??
    undefined;
  const labels = live.labels ?? (dataset && dataset.root === datasetPath ? dataset.labels : []);
  const channelNames =
    live.channels ?? (dataset && dataset.root === datasetPath ? dataset.channels.names : []);
  const running = live.status === 'running';
  return (
    <section className="panel search-view">
      <div className="search-header">
        <div>
          <h2>
            {live.summary?.name ?? `Experiment ${live.experimentId}`}{' '}
            <span className={`badge status-${live.status}`} data-testid="search-status">
              {live.status}
            </span>
          </h2>
          <div className="muted small">
            best Dice <b className="mono">{formatDice(best?.valDice)}</b>
            {best ? ` (candidate #${best.seq})` : ''}
            {live.message ? ` · ${live.message}` : ''}
          </div>
          {live.summary && (
            <div className="muted small" data-testid="search-backend">
              on {describeResolvedBackend(live.summary.backend, live.config?.extra as BackendRequestRecord)} ·{' '}
              {live.summary.device}
            </div>
          )}
          {busy.stopping === 'pause' && running && (
            <div className="small muted" data-testid="stopping-note">
              Pausing once candidate #{live.running?.seq ?? '…'} finishes its epoch…
            </div>
          )}
        </div>
        <div className="row">
          <SearchControls live={live} />
          <ExportMenu disabled={running || live.candidates.length === 0} />
          {best && (
            <button
              type="button"
              className="primary"
              data-testid="open-best"
              onClick={() => select(best.seq)}
            >
              Open best
            </button>
          )}
        </div>
      </div>
      <DiceChart candidates={live.candidates} running={live.running} onPick={select} />
      {(running || live.status === 'paused') && best && datasetPath && live.validationCases.length > 0 && (
        <LiveBest
          best={best}
          datasetPath={datasetPath}
          labels={labels}
          channelNames={channelNames}
          validationCases={live.validationCases}
        />
      )}
      <div className="row">
        <button type="button" data-testid="toggle-insights" onClick={() => setShowInsights((v) => !v)}>
          {showInsights ? 'Hide' : 'Show'} parallel coordinates and hyperparameter importance
        </button>
      </div>
      {showInsights && <InsightsPanel experimentId={live.experimentId} finished={live.progress?.done ?? 0} />}
      <TestResults live={live} />
      <FinalResults live={live} />
      {live.candidates.length > 0 && <MethodsPanel experimentId={live.experimentId} />}
      {comparing && (
        <CompareView
          experimentId={live.experimentId}
          seqs={compareSeqs}
          candidates={live.candidates}
          datasetPath={datasetPath}
          labels={labels}
          validationCases={live.validationCases}
          testCases={live.testCases}
          channelNames={channelNames}
          onClose={() => setComparing(false)}
        />
      )}
      <div className={`results ${selected ? 'with-detail' : ''}`}>
        <CandidateTable
          candidates={live.candidates}
          searchStatus={live.status}
          selectedSeq={selectedSeq}
          bestSeq={live.bestSeq}
          compareSeqs={compareSeqs}
          onSelect={select}
          onToggleCompare={toggleCompare}
          onCompare={openCompare}
        />
        {selected && (
          <CandidateDetail
            key={selected.seq}
            candidate={selected}
            searchTestDice={live.tests.find((t) => t.seq === selected.seq && t.split === 0)?.meanDice ?? null}
            final={live.finals.find((f) => f.seq === selected.seq)}
            datasetPath={datasetPath}
            labels={labels}
            channelNames={channelNames}
            validationCases={live.validationCases}
            testCases={live.testCases}
            onClose={() => select(undefined)}
          />
        )}
      </div>
    </section>
  );
}
