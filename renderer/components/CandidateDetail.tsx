/** One candidate: its block, network summary, learning curves, per-label Dice and its predictions in 3D. */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Candidate, CandidateSummary, FinalTraining, LabelInfo } from '../../main/api';
import { useApp } from '../context';
import { candidateDiagnosis, durationSeconds } from '../lib/candidates';
import { formatBytes, formatCount, formatDice, formatDuration } from '../lib/format';
import { useCaseChoice } from '../lib/hooks';
import { BlockDag } from './BlockDag';
import { ChannelPicker } from './ChannelPicker';
import { ClusterJobInfo } from './ClusterJobInfo';
import { KeptModel } from './KeptModel';
import { LearningCurveChart } from './LearningCurveChart';
import { Viewer, type ViewerLayer } from './Viewer';

/**
 * The candidate in full (learning curve, x), fetched when it is opened: the table's summaries carry
 * neither. Null when it cannot be read.
 */
export function useFullCandidate(
  experimentId: number,
  seq: number,
  status: string,
): Candidate | null | undefined {
  const readCandidate = useApp((s) => s.readCandidate);
  const [full, setFull] = useState<Candidate | null>();
  // A candidate that finished since has its full curve now: refetch on a status change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: status is the refetch trigger
  useEffect(() => {
    let current = true;
    setFull(undefined);
    readCandidate(experimentId, seq)
      .then((c) => current && setFull(c))
      .catch(() => current && setFull(null));
    return () => {
      current = false;
    };
  }, [readCandidate, experimentId, seq, status]);
  return full;
}

export function CandidateDetail(props: {
  candidate: CandidateSummary;
  /** Test Dice of the search's model on the search split, once tested. */
  searchTestDice?: number | null;
  /** Its final training, when it had one. */
  final?: FinalTraining;
  datasetPath?: string;
  labels: LabelInfo[];
  /** The dataset's input channel names: a picker chooses the one shown when there are several. */
  channelNames: string[];
  validationCases: string[];
  testCases: string[];
  onClose(): void;
}) {
  const c = props.candidate;
  const full = useFullCandidate(c.experimentId, c.seq, c.status);
  const curve = full === null ? [] : full?.curve;
  const { cases, caseId, setCaseId } = useCaseChoice(props.validationCases, props.testCases);
  const [channel, setChannel] = useState(0);
  const rootRef = useRef<HTMLDivElement>(null);
  // "Open best" or a row click on a narrow window puts the detail below the charts: bring it into view.
  useEffect(() => {
    rootRef.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  }, []);
  const canPredict = c.status === 'trained' || c.status === 'cached';
  const layers = useMemo<ViewerLayer[]>(() => {
    if (!caseId || !props.datasetPath) return [];
    const base = { datasetPath: props.datasetPath, caseId };
    return [
      { id: 'image', title: 'Image', ref: { kind: 'case-image', ...base, ...(channel > 0 && { channel }) } },
      { id: 'truth', title: 'Ground truth', ref: { kind: 'case-label', ...base } },
      ...(canPredict
        ? [
            {
              id: 'prediction' as const,
              title: 'Prediction',
              ref: { kind: 'prediction' as const, experimentId: c.experimentId, seq: c.seq, caseId },
            },
          ]
        : []),
    ];
  }, [caseId, props.datasetPath, c.experimentId, c.seq, canPredict, channel]);

  const diagnosis = candidateDiagnosis(c);
  const summary: [string, string][] = [
    ['Status', c.reason ? `${c.status} — ${c.reason}` : c.status],
    ['Validation Dice', diagnosis ? `${formatDice(c.valDice)} — ${diagnosis}` : formatDice(c.valDice)],
    ['Objective f = −ln Dice', c.f === null ? '—' : c.f.toFixed(3)],
    ...(props.searchTestDice != null || props.final
      ? ([
          ['Test Dice (search model)', formatDice(props.searchTestDice ?? null)],
          [
            'Test Dice (final model)',
            props.final
              ? props.final.status === 'tested'
                ? `${formatDice(props.final.meanDice)} — ${props.final.epochs} epochs on train + validation`
                : `${props.final.status}${props.final.reason ? ` — ${props.final.reason}` : ''}`
              : '—',
          ],
        ] as [string, string][])
      : []),
    ['Parameters', formatCount(c.paramCount)],
    ['Estimated memory', formatBytes(c.estMemoryBytes)],
    ['Measured peak memory', formatBytes(c.peakMemoryBytes)],
    ['n (first channels)', String(c.spec.n)],
    ['p (poolings)', String(c.spec.p)],
    ['Deep supervision', c.spec.sup ? 'yes' : 'no'],
    ['Residual', c.spec.res ? 'yes' : 'no'],
    ['Block nodes', String(c.spec.block.nodes)],
    ['Device', c.device ?? '—'],
    ['Training time', formatDuration(durationSeconds(c))],
    ['x', full ? full.x.map((v) => v.toFixed(2)).join(', ') : '…'],
  ];
  const perLabel = Object.entries(c.perLabelDice ?? {});

  return (
    <div className="candidate-detail" data-testid="candidate-detail" ref={rootRef}>
      <div className="detail-header">
        <h3>Candidate #{c.seq}</h3>
        <span className={`status status-${c.status}`}>{c.status}</span>
        <button type="button" className="ghost" onClick={props.onClose} aria-label="close detail">
          ✕
        </button>
      </div>
      <div className="detail-grid">
        <div className="card">
          <div className="card-title">Block</div>
          <BlockDag block={c.spec.block} />
          <dl className="summary">
            {summary.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd className="mono">{v}</dd>
              </div>
            ))}
          </dl>
          <ClusterJobInfo experimentId={c.experimentId} seq={c.seq} status={c.status} />
          {canPredict && <KeptModel experimentId={c.experimentId} seq={c.seq} status={c.status} />}
          {perLabel.length > 0 && (
            <>
              <div className="card-title">Per-label validation Dice</div>
              <div className="per-label">
                {perLabel.map(([name, d]) => (
                  <div key={name} className="bar-row">
                    <span>{name}</span>
                    <div className="bar">
                      <div style={{ width: `${Math.max(0, Math.min(1, d)) * 100}%` }} />
                    </div>
                    <span className="mono">{formatDice(d)}</span>
                  </div>
                ))}
              </div>
            </>
          )}
        </div>
        <div className="card">
          <div className="card-title">Learning curves</div>
          <div className="chart-body small-chart">
            {curve === undefined ? (
              <div className="empty">Loading…</div>
            ) : curve.length > 0 ? (
              <LearningCurveChart curve={curve} />
            ) : (
              <div className="empty">Not trained (no curve).</div>
            )}
          </div>
          <div className="card-title">
            Segmentation
            <select value={caseId} onChange={(e) => setCaseId(e.target.value)} data-testid="viewer-case">
              {cases.map((k) => (
                <option key={`${k.split}-${k.id}`} value={k.id}>
                  {k.id} ({k.split})
                </option>
              ))}
            </select>
            <ChannelPicker names={props.channelNames} channel={channel} onChange={setChannel} />
          </div>
          {layers.length > 0 ? (
            <Viewer layers={layers} labels={props.labels} testId="viewer" />
          ) : (
            <div className="empty">No validation images recorded for this experiment.</div>
          )}
        </div>
      </div>
    </div>
  );
}
