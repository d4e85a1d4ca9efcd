/** The time estimate of the search setup, coloured by how it will go. */
import { useApp } from '../context';
import { formatDuration } from '../lib/format';

/** The time estimate of the current settings: amber past a day, red with the reason when nothing can train. */
export function EstimateSummary() {
  const validation = useApp((s) => s.validation);
  const evaluations = useApp((s) => s.config.evaluations);
  const estimate = validation?.estimate;
  if (!estimate) return <span className="muted">The estimate appears once the settings are valid.</span>;
  return (
    <div className={`estimate-figures ${estimate.severity}`} data-severity={estimate.severity}>
      <div>
        <b>{formatDuration(estimate.secondsPerCandidate)}</b> per candidate ·{' '}
        <b>{formatDuration(estimate.totalSeconds)}</b> for {evaluations} evaluations (at most; cached and
        illegal ones are free)
      </div>
      {estimate.severityReason && (
        <div className="estimate-reason" data-testid="estimate-reason">
          {estimate.severityReason}
        </div>
      )}
      <div className="small muted">{estimate.basis}</div>
    </div>
  );
}
