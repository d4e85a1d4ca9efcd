/** Step 1: drop or choose a dataset (or use the demo), see its validation report, preview any case. */
import { useMemo, useState } from 'react';
import type { DatasetReport } from '../../main/api';
import { formatPlan } from '../../main/core/datasetPlan';
import { cappedList } from '../../main/core/format';
import { useApp } from '../context';
import { ChannelPicker } from './ChannelPicker';
import { PathForm } from './PathForm';
import { Viewer } from './Viewer';

export function DatasetPanel() {
  const dataset = useApp((s) => s.dataset);
  const busy = useApp((s) => s.busy.dataset);
  const openDataset = useApp((s) => s.openDataset);
  const loadDemoData = useApp((s) => s.loadDemoData);
  const showReport = useApp((s) => s.showReport);
  const receiveFolder = useApp((s) => s.receiveFolder);
  const setView = useApp((s) => s.setView);
  const [hover, setHover] = useState(false);

  /** Opens the folder a drop holds or the user chooses (uploaded first in a browser). */
  const handOver = async (source: DataTransfer | 'choose') => {
    const root = await receiveFolder(source, 'dataset');
    if (root) await openDataset(root);
  };

  const onDrop = async (e: React.DragEvent) => {
    e.preventDefault();
    setHover(false);
    const data = e.dataTransfer;
    await handOver(data);
  };

  const choose = () => handOver('choose');

  return (
    <section className="panel dataset-panel">
      <section
        className={`drop-zone ${hover ? 'hover' : ''}`}
        data-testid="dataset-drop"
        aria-label="Drop a dataset here"
        onDragOver={(e) => {
          e.preventDefault();
          setHover(true);
        }}
        onDragLeave={() => setHover(false)}
        onDrop={onDrop}
      >
        <div className="drop-icon">⬇</div>
        <div className="drop-title">Drop a dataset folder or NIfTI files here</div>
        <div className="drop-hint">
          Medical Segmentation Decathlon / nnU-Net layout (imagesTr/, labelsTr/, dataset.json) or pairs named
          <code>case.nii.gz</code> + <code>case_seg.nii.gz</code> (also _label, _labels, _mask)
        </div>
        <div className="drop-actions">
          <button type="button" onClick={choose}>
            Choose folder…
          </button>
          <button
            type="button"
            className="primary"
            data-testid="use-demo-data"
            onClick={() => loadDemoData()}
          >
            Use demo data
          </button>
        </div>
        <PathForm
          testId="dataset-path"
          placeholder="…or type a folder path on the engine's machine, e.g. /data/Task04_Hippocampus"
          action="Open"
          onPath={(path) => void openDataset(path)}
        />
        {busy && <div className="busy">{busy}</div>}
      </section>
      {dataset && (
        // Keyed by the folder: a newly opened dataset starts at its own first case, not the previous
        // dataset's selection (which would leave the preview empty).
        <DatasetReportView
          key={dataset.root}
          report={dataset}
          onNext={() => setView('setup')}
          onReport={showReport}
        />
      )}
    </section>
  );
}

/** The dataset's findings (a problem repeated over many files as one, with its likely cause) and the rest. */
function DatasetProblems({ report }: { report: DatasetReport }) {
  // A problem repeated over many files is one finding (with its likely cause), not a line per file.
  const grouped = new Set(report.findings.map((f) => f.kind));
  const single = report.problems.filter((p) => !p.code || !grouped.has(p.code));
  return (
    <>
      {report.findings.length > 0 && (
        <ul className="problems findings" data-testid="dataset-findings">
          {report.findings.map((f) => (
            <li key={`${f.kind}-${f.message}`} className={f.severity} data-kind={f.kind}>
              <span className="sev">{f.severity}</span>
              <span>{f.message}</span>
              {grouped.has(f.kind) && (
                <details>
                  <summary className="small muted">the {f.items.length} files</summary>
                  <span className="mono small">{cappedList(f.items, 50, ', ')}</span>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
      {single.length > 0 && (
        <ul className="problems" data-testid="dataset-problems">
          {single.map((p) => (
            <li key={`${p.code}-${p.file}-${p.message}`} className={p.severity}>
              <span className="sev">{p.severity}</span>
              {p.file && <span className="mono file">{p.file}</span>}
              <span>{p.message}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function DatasetReportView(props: {
  report: DatasetReport;
  onNext: () => void;
  onReport: (r: DatasetReport) => void;
}) {
  const { report } = props;
  // A case whose header could not be read (no dims) would only show a parse error in the viewer.
  const readable = (c: DatasetReport['cases'][number]) => Boolean(c.image && c.dims);
  const previewable = report.cases.filter(readable);
  const [caseId, setCaseId] = useState(report.usableCaseIds[0] ?? previewable[0]?.id);
  // Which input channel the preview shows (multi-channel datasets only).
  const [channel, setChannel] = useState(0);
  const errors = report.problems.filter((p) => p.severity === 'error');
  const warnings = report.problems.filter((p) => p.severity === 'warning');
  const current = previewable.find((c) => c.id === caseId);
  const layers = useMemo(() => {
    if (!current?.image) return [];
    const base = { datasetPath: report.root, caseId: current.id };
    return [
      {
        id: 'image' as const,
        title: 'Image',
        ref: { kind: 'case-image' as const, ...base, ...(channel > 0 && { channel }) },
      },
      ...(current.label
        ? [{ id: 'truth' as const, title: 'Ground truth', ref: { kind: 'case-label' as const, ...base } }]
        : []),
    ];
  }, [current, report.root, channel]);

  return (
    <div className="card report" data-testid="validation-report">
      <div className="report-header">
        <div>
          <h2>{report.name}</h2>
          <div className="muted mono">{report.root}</div>
        </div>
        <div className={`badge ${report.usable ? 'ok' : 'bad'}`} data-testid="dataset-status">
          {report.usable ? 'Ready for search' : 'Not usable'}
        </div>
      </div>
      <div className="stats">
        <Stat label="Layout" value={report.layout === 'msd' ? 'Decathlon / nnU-Net' : 'Suffix pairs'} />
        <Stat label="Cases" value={`${report.usableCaseIds.length} usable / ${report.cases.length}`} />
        <Stat label="Labels" value={String(report.labels.filter((l) => l.value !== 0).length)} />
        <Stat
          label="Channels"
          value={`${report.channels.count}${report.channels.count > 1 ? `: ${report.channels.names.join(', ')}` : ''}`}
        />
        <Stat label="Problems" value={`${errors.length} errors, ${warnings.length} warnings`} />
      </div>
      {report.plan && (
        <div
          className="muted mono"
          data-testid="dataset-plan"
          title="What --protocol native trains at (docs/protocols.md)"
        >
          {formatPlan(report.plan)}
        </div>
      )}
      <div className="labels">
        {report.labels.map((l) => (
          <span key={l.value} className="label-chip">
            <b>{l.value}</b> {l.name}
          </span>
        ))}
      </div>
      <DatasetProblems report={report} />
      <div className="report-body">
        <div className="table-wrap cases-table">
          <table>
            <thead>
              <tr>
                <th>Case</th>
                <th>Dims</th>
                <th>Spacing (mm)</th>
                <th>Type (image/label)</th>
                <th>Intensity</th>
                <th>Labels</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {report.cases.map((c) => (
                <tr
                  key={c.id}
                  className={`${c.id === caseId ? 'selected' : ''} ${c.usable ? '' : 'unusable'}`}
                  onClick={() => readable(c) && setCaseId(c.id)}
                >
                  <td className="mono">{c.id}</td>
                  <td>{c.dims?.join(' × ') ?? '—'}</td>
                  <td>{c.spacing?.map((s) => s.toFixed(2)).join(' × ') ?? '—'}</td>
                  <td className="mono">
                    {c.imageDatatype ?? '—'}/{c.labelDatatype ?? '—'}
                  </td>
                  <td className="mono">
                    {c.intensity ? `${num(c.intensity.min)} … ${num(c.intensity.max)}` : '—'}
                  </td>
                  <td>{c.labelValues ? cappedList(c.labelValues, 10, ', ') : '—'}</td>
                  <td>{c.usable ? '✓' : <span className="bad-text">excluded</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="preview">
          <ChannelPicker names={report.channels.names} channel={channel} onChange={setChannel} />
          {layers.length > 0 ? (
            <Viewer layers={layers} labels={report.labels} testId="dataset-preview" />
          ) : (
            <div className="empty">No readable case to preview.</div>
          )}
        </div>
      </div>
      <div className="report-footer">
        <button type="button" className="primary" disabled={!report.usable} onClick={props.onNext}>
          Set up the search →
        </button>
      </div>
    </div>
  );
}

/** Intensities as the CLI's report writes them: integers whole, large values in exponent form. */
function num(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toExponential(2) : v.toPrecision(4);
}

function Stat(props: { label: string; value: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{props.label}</div>
      <div className="stat-value">{props.value}</div>
    </div>
  );
}
