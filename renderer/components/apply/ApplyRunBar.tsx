/** Starting and cancelling a run, its progress, the labels it writes and its warnings. */
import type { ApplyStatus } from '../../../main/api';
import { useApp } from '../../context';
import { formatDuration } from '../../lib/format';

export function ApplyControls() {
  const form = useApp((s) => s.applyForm);
  const setForm = useApp((s) => s.setApplyForm);
  const start = useApp((s) => s.startApply);
  const cancel = useApp((s) => s.cancelApply);
  const running = useApp((s) => s.applyRun !== undefined && !s.applyRun.status?.finished);
  return (
    <div className="row">
      <label className="row">
        <input
          type="checkbox"
          checked={form.firstVolume}
          onChange={(e) => setForm({ firstVolume: e.target.checked })}
        />
        Use the first volume of 4-D DICOM series
      </label>
      <input
        placeholder="Output folder (default: in the workspace)"
        value={form.outDir}
        onChange={(e) => setForm({ outDir: e.target.value })}
      />
      <button type="button" className="primary" data-testid="apply-start" disabled={running} onClick={start}>
        {running ? 'Segmenting…' : 'Segment'}
      </button>
      {running && (
        <button type="button" data-testid="apply-cancel" onClick={cancel}>
          Cancel
        </button>
      )}
    </div>
  );
}

export function ApplyProgress({ status }: { status: ApplyStatus }) {
  const p = status.progress;
  const running = !status.finished;
  if (!p) return null;
  return (
    <div className="row" data-testid="apply-progress">
      <span className="progress-track">
        <span className="progress-fill" style={{ width: `${p.total ? (100 * p.done) / p.total : 0}%` }} />
      </span>
      <span>
        {p.phase === 'reading' ? 'Reading inputs…' : `${p.done} / ${p.total} images`}
        {running && p.etaSeconds !== undefined && p.done > 0 && ` · ETA ${formatDuration(p.etaSeconds)}`}
        {p.trainer && ` · ${p.trainer.version} on ${p.trainer.device}`}
      </span>
      {status.finished && !status.error && (
        <span className="muted small mono">
          written to {status.outDir}
          {status.summaryPath && ` · summary ${status.summaryPath}`}
        </span>
      )}
    </div>
  );
}

export function ApplyLabelsAndWarnings({ status }: { status: ApplyStatus }) {
  return (
    <>
      {status.labels && (
        <div className="labels" data-testid="apply-labels">
          <span className="small muted">Writes the labels: </span>
          {status.labels.map((l) => (
            <span key={l.value} className="label-chip">
              <b>{l.value}</b> {l.name}
            </span>
          ))}
        </div>
      )}
      {status.items.some((i) => i.warnings?.length) && (
        <ul className="problems" data-testid="apply-warnings">
          {status.items.flatMap((i) =>
            (i.warnings ?? []).map((w) => (
              <li key={`${i.id}-${w}`} className="warning">
                <span className="sev">unlike the training images</span>
                <span className="mono file">{i.id}</span>
                <span>{w}</span>
              </li>
            )),
          )}
        </ul>
      )}
    </>
  );
}
