/** Step 3: the running (or reopened) search: controls, charts, table, and the selected candidate. */
import { useCallback, useState } from 'react';
import { type BackendRequestRecord, describeResolvedBackend } from '../../main/core/backendKey';
import { useApp } from '../context';
import { formatDice, formatDuration } from '../lib/format';
import { CandidateDetail } from './CandidateDetail';
import { CandidateTable } from './CandidateTable';
import { CompareView } from './CompareView';
import { DiceChart } from './DiceChart';
import { InsightsPanel } from './InsightsPanel';
import { LiveBest } from './LiveBest';

export function SearchView() {
  const live = useApp((s) => s.live);
  const selectedSeq = useApp((s) => s.selectedSeq);
  const select = useApp((s) => s.selectCandidate);
  const compareSeqs = useApp((s) => s.compareSeqs);
  const comparing = useApp((s) => s.comparing);
  const toggleCompare = useApp((s) => s.toggleCompare);
  const setComparing = useApp((s) => s.setComparing);
  const [showInsights, setShowInsights] = useState(false);
  const pause = useApp((s) => s.pause);
  const resume = useApp((s) => s.resume);
  const stop = useApp((s) => s.stop);
  const evaluateTest = useApp((s) => s.evaluateTest);
  const exportExperiment = useApp((s) => s.exportExperiment);
  const busy = useApp((s) => s.busy);
  const dataset = useApp((s) => s.dataset);
  const setView = useApp((s) => s.setView);
  const [topK, setTopK] = useState(3);
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
  const running = live.status === 'running';
  const resumable = ['paused', 'interrupted', 'stopped', 'failed'].includes(live.status);
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
          <button
            type="button"
            data-testid="pause-search"
            disabled={!running || busy.stopping !== undefined}
            title="Pauses at the end of the running candidate's epoch; Resume goes on from there"
            onClick={() => pause()}
          >
            {busy.stopping === 'pause' ? 'Pausing…' : '❚❚ Pause'}
          </button>
          <button type="button" data-testid="resume-search" disabled={!resumable} onClick={() => resume()}>
            ▶ Resume
          </button>
          <button
            type="button"
            data-testid="stop-search"
            disabled={(!running && live.status !== 'paused') || busy.stopping === 'stop'}
            title="Stops the search now; on resume the running candidate goes on from its last finished epoch"
            onClick={() => stop()}
          >
            {busy.stopping === 'stop' ? 'Stopping…' : '■ Stop'}
          </button>
          <span className="split-control" title="Evaluate the K best candidates on the held-out test split">
            <button
              type="button"
              className="split-main"
              data-testid="evaluate-test"
              disabled={running || busy.test || live.candidates.length === 0}
              onClick={() => evaluateTest(topK)}
            >
              {busy.test ? 'Evaluating…' : `Test top ${topK}`}
            </button>
            <select
              className="split-side"
              aria-label="how many of the best candidates to test"
              data-testid="test-top-k"
              value={topK}
              disabled={busy.test}
              onChange={(e) => setTopK(Number(e.target.value))}
            >
              {[1, 3, 5, 10].map((k) => (
                <option key={k} value={k}>
                  K = {k}
                </option>
              ))}
            </select>
          </span>
          <button
            type="button"
            data-testid="export"
            disabled={running || busy.export || live.candidates.length === 0}
            onClick={() => exportExperiment()}
          >
            {busy.export ? 'Exporting…' : 'Export'}
          </button>
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
          validationCases={live.validationCases}
        />
      )}
      <div className="row">
        <button type="button" data-testid="toggle-insights" onClick={() => setShowInsights((v) => !v)}>
          {showInsights ? 'Hide' : 'Show'} parallel coordinates and hyperparameter importance
        </button>
      </div>
      {showInsights && <InsightsPanel experimentId={live.experimentId} finished={live.progress?.done ?? 0} />}
      {live.tests.length > 0 && (
        <div className="card tests" data-testid="test-results">
          <div className="card-title">
            Test set (held out{live.testCases.length > 0 ? `, ${live.testCases.length} cases` : ''})
          </div>
          <table>
            <thead>
              <tr>
                <th>Candidate</th>
                <th>Data split</th>
                <th>Mean Dice</th>
                <th>Per label</th>
              </tr>
            </thead>
            <tbody>
              {live.tests.map((t) => (
                <tr key={`${t.seq}-${t.split}`}>
                  <td>#{t.seq}</td>
                  <td>{splitName(t.split)}</td>
                  <td className="mono">{formatDice(t.meanDice)}</td>
                  <td className="small">
                    {Object.entries(t.perLabelDice)
                      .map(([k, v]) => `${k} ${formatDice(v)}`)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {live.finals.length > 0 && (
        <div className="card tests" data-testid="final-results">
          <div className="card-title">
            Final training (train + validation, polynomial learning-rate decay; tested on the same held-out
            cases)
            {live.finalProgress && live.status === 'running'
              ? ` — ${live.finalProgress.done}/${live.finalProgress.total} done${
                  live.finalProgress.etaSeconds !== undefined
                    ? `, about ${formatDuration(live.finalProgress.etaSeconds)} left`
                    : ''
                }`
              : ''}
          </div>
          <table>
            <thead>
              <tr>
                <th>Candidate</th>
                <th>Epochs</th>
                <th>Status</th>
                <th>Search test Dice</th>
                <th>Final test Dice</th>
                <th>Per label</th>
              </tr>
            </thead>
            <tbody>
              {live.finals.map((f) => (
                <tr key={f.seq}>
                  <td>#{f.seq}</td>
                  <td className="mono">
                    {f.status === 'running' ? `${f.curve.length}/${f.epochs}` : f.epochs}
                  </td>
                  <td title={f.reason ?? undefined}>{f.status}</td>
                  <td className="mono">
                    {formatDice(live.tests.find((t) => t.seq === f.seq && t.split === 0)?.meanDice ?? null)}
                  </td>
                  <td className="mono">{formatDice(f.meanDice)}</td>
                  <td className="small">
                    {Object.entries(f.perLabelDice ?? {})
                      .map(([k, v]) => `${k} ${formatDice(v)}`)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {comparing && (
        <CompareView
          experimentId={live.experimentId}
          seqs={compareSeqs}
          candidates={live.candidates}
          datasetPath={datasetPath}
          labels={labels}
          validationCases={live.validationCases}
          testCases={live.testCases}
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
            validationCases={live.validationCases}
            testCases={live.testCases}
            onClose={() => select(undefined)}
          />
        )}
      </div>
    </section>
  );
}

/** Split 0 is the one the search ran on; later ones are reseeded splits the best network is retested on. */
function splitName(split: number): string {
  return split === 0 ? 'search split' : `reseeded split ${split + 1}`;
}
