/** Pause, resume and stop the search on screen, and test its best candidates on the held-out split. */
import { useState } from 'react';
import { useApp } from '../context';
import type { LiveExperiment } from '../store/searchReducer';

export function SearchControls({ live }: { live: LiveExperiment }) {
  const pause = useApp((s) => s.pause);
  const resume = useApp((s) => s.resume);
  const stop = useApp((s) => s.stop);
  const evaluateTest = useApp((s) => s.evaluateTest);
  const busy = useApp((s) => s.busy);
  const [topK, setTopK] = useState(3);
  const running = live.status === 'running';
  const resumable = ['paused', 'interrupted', 'stopped', 'failed'].includes(live.status);
  return (
    <>
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
    </>
  );
}
