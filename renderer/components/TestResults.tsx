/** The held-out test results of a search, and the final trainings of its best architectures. */
import { formatDice, formatDuration } from '../lib/format';
import type { LiveExperiment } from '../store/searchReducer';

export function TestResults({ live }: { live: LiveExperiment }) {
  if (live.tests.length === 0) return null;
  return (
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
              <PerLabelDiceCell dice={t.perLabelDice} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function FinalResults({ live }: { live: LiveExperiment }) {
  if (live.finals.length === 0) return null;
  return (
    <div className="card tests" data-testid="final-results">
      <div className="card-title">
        Final training (train + validation, polynomial learning-rate decay; tested on the same held-out cases)
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
              <td className="mono">{f.status === 'running' ? `${f.curve.length}/${f.epochs}` : f.epochs}</td>
              <td title={f.reason ?? undefined}>{f.status}</td>
              <td className="mono">
                {formatDice(live.tests.find((t) => t.seq === f.seq && t.split === 0)?.meanDice ?? null)}
              </td>
              <td className="mono">{formatDice(f.meanDice)}</td>
              <PerLabelDiceCell dice={f.perLabelDice ?? {}} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Split 0 is the one the search ran on; later ones are reseeded splits the best network is retested on. */
function splitName(split: number): string {
  return split === 0 ? 'search split' : `reseeded split ${split + 1}`;
}

function PerLabelDiceCell({ dice }: { dice: Record<string, number | null> }) {
  return (
    <td className="small">
      {Object.entries(dice)
        .map(([k, v]) => `${k} ${formatDice(v)}`)
        .join(' · ')}
    </td>
  );
}
