/**
 * The status bar's engine: for a running search the engine and device its experiment recorded,
 * otherwise what `--engine auto` would pick on this machine.
 */
import { useApi, useApp } from '../context';
import { describeAuto, engineOfBackend, useEngineCheck } from '../lib/engineCheck';

export function EngineStatus() {
  const api = useApi();
  const running = useApp((s) => (s.live?.status === 'running' ? s.live.summary : undefined));
  const { check, error } = useEngineCheck(api);
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
