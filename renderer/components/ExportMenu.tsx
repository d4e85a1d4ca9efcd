/**
 * One Export menu for an experiment, on the search page and each row of the Experiments page: the
 * report folder, a bundle to share or archive, or the kept models (ONNX). Web mode downloads each.
 */
import { useState } from 'react';
import type { ExportKind } from '../../main/core/exportDownloads';
import { useApp } from '../context';

const ITEMS: { kind: ExportKind; label: string; title: string }[] = [
  {
    kind: 'report',
    label: 'Report folder',
    title: 'summary.md (with the Methods paragraph), report.json and candidates.csv',
  },
  {
    kind: 'bundle',
    label: 'Bundle (.segnas)',
    title:
      'The whole experiment as one file, with the kept models and their predictions, to share or archive',
  },
  {
    kind: 'models',
    label: 'Models (ONNX)',
    title: 'Each kept model as model.onnx with the preprocessing it expects',
  },
];

export function ExportMenu(props: { experimentId?: number; disabled?: boolean }) {
  const busy = useApp((s) => s.busy.export);
  const web = useApp((s) => s.info?.host === 'web');
  const exportAs = useApp((s) => s.exportAs);
  const [open, setOpen] = useState(false);
  const choose = (kind: ExportKind) => {
    setOpen(false);
    void exportAs(kind, props.experimentId);
  };
  return (
    <span className="menu" data-testid="export-menu">
      <button
        type="button"
        data-testid="export"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={props.disabled || busy !== undefined}
        onClick={() => setOpen(!open)}
      >
        {busy ? 'Exporting…' : web ? 'Export ▾ (download)' : 'Export ▾'}
      </button>
      {open && (
        <div className="menu-items" role="menu">
          {ITEMS.map((item) => (
            <button
              key={item.kind}
              type="button"
              role="menuitem"
              title={item.title}
              data-testid={`export-${item.kind}`}
              onClick={() => choose(item.kind)}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </span>
  );
}
