/** Always visible: backend and device, the current search's progress and ETA. */
import { etaFromSteps } from '../../main/core/progress';
import { useApp } from '../context';
import { formatDuration } from '../lib/format';
import { EngineStatus } from './EngineStatus';

export function StatusBar() {
  const info = useApp((s) => s.info);
  const live = useApp((s) => s.live);
  const progress = live?.progress;
  const epochs = (live?.config?.training as { epochs?: number } | undefined)?.epochs;
  const fraction = progress && progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  const step = live?.running?.step;
  // Before a candidate has finished in this run, the running candidate's measured steps give the ETA.
  const eta =
    progress?.etaSeconds ??
    (step && progress ? etaFromSteps(step, progress.total - progress.done) : undefined);
  return (
    <div className="status-bar" data-testid="status-bar">
      <span className="status-item" data-testid="backend-info">
        <span className="dot" /> {info ? `${info.backend.name} · ${info.backend.device}` : 'connecting…'}
      </span>
      <EngineStatus />
      {live && (
        <>
          <span className="status-item">
            Experiment {live.experimentId} · <b>{live.status}</b>
            {live.running
              ? ` · training #${live.running.seq} (${live.running.curve.length}${epochs ? `/${epochs}` : ''} epochs done${
                  step ? ` · epoch ${step.epoch} step ${step.step}/${step.steps}` : ''
                })`
              : ''}
          </span>
          <span className="status-item progress" data-testid="progress">
            <span className="progress-track">
              <span className="progress-fill" style={{ width: `${fraction * 100}%` }} />
            </span>
            {progress ? `${progress.done} / ${progress.total}` : '—'}
          </span>
          <span className="status-item" data-testid="eta">
            {/* A paused or stopped search has no time left to estimate; the last estimate would be stale. */}
            ETA {live.status === 'running' && eta !== undefined ? formatDuration(eta) : '—'}
          </span>
        </>
      )}
    </div>
  );
}
