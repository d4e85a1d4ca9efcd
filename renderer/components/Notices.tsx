/** Errors and confirmations as dismissable messages in the corner. */
import { useApp } from '../context';

export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice ${n.kind}`}
          data-testid={`notice-${n.kind}`}
          role={n.kind === 'error' ? 'alert' : 'status'}
        >
          <span>{n.message}</span>
          <button type="button" className="ghost" onClick={() => dismiss(n.id)} aria-label="dismiss">
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
