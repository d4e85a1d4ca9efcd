/**
 * The status bar's engine: for a running search the engine and device its experiment recorded,
 * otherwise what `--engine auto` would pick on this machine.
 */
import { useApp, useEngineCheck } from '../context';
import { describeAuto, engineOfBackend } from '../lib/engineCheck';

export function EngineStatus() {
  const running = useApp((s) => (s.live?.status === 'running' ? s.live.summary : undefined));
  const { check, error } = useEngineCheck();
  const text = running
    ? `${engineOfBackend(running.backend)} · ${running.device}`
    : check
      ? `auto: ${describeAuto(check)}`
      : error
        ? 'engine check failed'
        : 'checking engines…';
  return (
    <span className="status-item" data-testid="engine-info" title={error ?? check?.auto.why}>
      {text}
    </span>
  );
}
