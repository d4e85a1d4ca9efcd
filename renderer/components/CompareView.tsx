/**
 * Two to four candidates side by side: their blocks (edges not shared by all highlighted), settings
 * and sizes (differing rows marked), learning curves overlaid, per-label Dice, and their predictions
 * on one case in viewers that move together (niivue's broadcastTo).
 */
import type { Niivue } from '@niivue/niivue';
import { useEffect, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Candidate, CandidateSummary, LabelInfo } from '../../main/api';
import { useApp } from '../context';
import { durationSeconds, opsLabel } from '../lib/candidates';
import { compareRows, edgeDifferences, labelNames, overlayCurves } from '../lib/compare';
import { formatBytes, formatCount, formatDice, formatDuration } from '../lib/format';
import { useCaseChoice } from '../lib/hooks';
import { BlockDag } from './BlockDag';
import { ChannelPicker } from './ChannelPicker';
import { chartAxis } from './LearningCurveChart';
import { Viewer, type ViewerLayer } from './Viewer';

const COLOURS = ['#4f8cff', '#ffb020', '#31c48d', '#ff5fa2'];

const FIELDS: [string, (c: CandidateSummary) => string][] = [
  ['Status', (c) => c.status],
  ['Validation Dice', (c) => formatDice(c.valDice)],
  ['Objective f', (c) => (c.f === null ? '—' : c.f.toFixed(3))],
  ['Parameters', (c) => formatCount(c.paramCount)],
  ['Estimated memory', (c) => formatBytes(c.estMemoryBytes)],
  ['Measured peak memory', (c) => formatBytes(c.peakMemoryBytes)],
  ['n (first channels)', (c) => String(c.spec.n)],
  ['p (poolings)', (c) => String(c.spec.p)],
  ['Deep supervision', (c) => (c.spec.sup ? 'yes' : 'no')],
  ['Residual', (c) => (c.spec.res ? 'yes' : 'no')],
  ['Block nodes', (c) => String(c.spec.block.nodes)],
  ['Ops', (c) => opsLabel(c)],
  ['Training time', (c) => formatDuration(durationSeconds(c))],
];

/** The compared candidates' settings side by side (differences marked) and their per-label Dice. */
function CompareTable({ chosen }: { chosen: CandidateSummary[] }) {
  const rows = compareRows(chosen, FIELDS);
  const labels = labelNames(chosen);
  return (
    <table className="compare-table" data-testid="compare-table">
      <thead>
        <tr>
          <th />
          {chosen.map((c, i) => (
            <th key={c.seq} style={{ color: COLOURS[i] }}>
              #{c.seq}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.label} className={r.differs ? 'differs' : ''} data-differs={r.differs}>
            <td>{r.label}</td>
            {r.values.map((v, i) => (
              <td key={chosen[i].seq} className="mono">
                {v}
              </td>
            ))}
          </tr>
        ))}
        {labels.map((name) => {
          const values = chosen.map((c) => c.perLabelDice?.[name]);
          const best = Math.max(...values.map((v) => v ?? -1));
          return (
            <tr key={`dice-${name}`} data-testid="compare-label-dice">
              <td>Dice: {name}</td>
              {values.map((v, i) => (
                <td key={chosen[i].seq} className="mono">
                  {v !== undefined && v === best ? <b>{formatDice(v)}</b> : formatDice(v)}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function CompareView(props: {
  experimentId: number;
  seqs: number[];
  candidates: CandidateSummary[];
  datasetPath?: string;
  labels: LabelInfo[];
  validationCases: string[];
  testCases: string[];
  /** The dataset's input channel names: with several, a picker chooses the one under the segmentations. */
  channelNames: string[];
  onClose(): void;
}) {
  const readCandidate = useApp((s) => s.readCandidate);
  const bySeq = useMemo(() => new Map(props.candidates.map((c) => [c.seq, c])), [props.candidates]);
  const chosen = props.seqs.map((s) => bySeq.get(s)).filter((c): c is CandidateSummary => c !== undefined);
  const [records, setRecords] = useState<Candidate[]>();
  const seqKey = props.seqs.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch when the compared set changes
  useEffect(() => {
    let current = true;
    Promise.all(props.seqs.map((seq) => readCandidate(props.experimentId, seq)))
      .then((r) => current && setRecords(r))
      .catch(() => current && setRecords([]));
    return () => {
      current = false;
    };
  }, [readCandidate, props.experimentId, seqKey]);

  const { cases, caseId, setCaseId } = useCaseChoice(props.validationCases, props.testCases);
  const [channel, setChannel] = useState(0);
  const diffs = edgeDifferences(chosen.map((c) => c.spec.block));
  const curves = useMemo(() => overlayCurves((records ?? []).map((r) => r.curve)), [records]);

  // Every viewer broadcasts its crosshair, zoom and rotation to the others.
  const viewers = useRef(new Map<number, Niivue>());
  const link = () => {
    const all = [...viewers.current.values()];
    for (const nv of all)
      nv.broadcastTo(
        all.filter((o) => o !== nv),
        { '2d': true, '3d': true },
      );
  };

  return (
    <div className="compare-view card" data-testid="compare-view">
      <div className="detail-header">
        <h3>Comparing {chosen.map((c) => `#${c.seq}`).join(', ')}</h3>
        <button type="button" className="ghost" onClick={props.onClose} aria-label="close comparison">
          ✕
        </button>
      </div>
      <div
        className="compare-grid"
        style={{ gridTemplateColumns: `repeat(${chosen.length}, minmax(0, 1fr))` }}
      >
        {chosen.map((c, i) => (
          <div key={c.seq} className="compare-col" data-testid="compare-column" data-seq={c.seq}>
            <div className="card-title">
              <span className="swatch" style={{ background: COLOURS[i] }} /> Candidate #{c.seq}
            </div>
            <BlockDag block={c.spec.block} highlight={diffs[i]} />
          </div>
        ))}
      </div>
      <p className="small muted">Edges drawn thick and pink are not shared by every compared block.</p>
      <CompareTable chosen={chosen} />
      <div className="card-title">Learning curves (solid: validation Dice, dashed: loss)</div>
      <CompareCurves records={records} curves={curves} />
      <div className="card-title">
        Segmentations on one case (the views move together)
        <select value={caseId} onChange={(e) => setCaseId(e.target.value)} data-testid="compare-case">
          {cases.map((k) => (
            <option key={`${k.split}-${k.id}`} value={k.id}>
              {k.id} ({k.split})
            </option>
          ))}
        </select>
        <ChannelPicker
          names={props.channelNames}
          channel={channel}
          onChange={setChannel}
          testId="compare-channel"
        />
      </div>
      {caseId && props.datasetPath ? (
        <div
          className="compare-grid"
          style={{ gridTemplateColumns: `repeat(${chosen.length}, minmax(0, 1fr))` }}
        >
          {chosen.map((c) => (
            <CompareViewer
              key={c.seq}
              candidate={c}
              caseId={caseId}
              channel={channel}
              datasetPath={props.datasetPath as string}
              labels={props.labels}
              onNiivue={(nv) => {
                if (nv) viewers.current.set(c.seq, nv);
                else viewers.current.delete(c.seq);
                link();
              }}
            />
          ))}
        </div>
      ) : (
        <div className="empty">No validation images recorded for this experiment.</div>
      )}
    </div>
  );
}

/** The compared candidates' validation Dice (solid) and loss (dashed) over the epochs, one colour each. */
function CompareCurves({
  records,
  curves,
}: {
  records: Candidate[] | undefined;
  curves: ReturnType<typeof overlayCurves>;
}) {
  return (
    <div className="chart-body small-chart" data-testid="compare-curves" data-series={records?.length ?? 0}>
      {records === undefined ? (
        <div className="empty">Loading…</div>
      ) : (
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={curves} margin={{ top: 8, right: 12, bottom: 4, left: -8 }}>
            <CartesianGrid stroke="#262c38" />
            <XAxis dataKey="epoch" tick={chartAxis} allowDecimals={false} />
            <YAxis yAxisId="dice" domain={[0, 1]} tick={chartAxis} />
            <YAxis yAxisId="loss" orientation="right" tick={chartAxis} />
            <Tooltip contentStyle={{ background: '#151a23', border: '1px solid #2d3545' }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {records.map((r, i) => (
              <Line
                key={`d${r.seq}`}
                yAxisId="dice"
                dataKey={`d${i}`}
                name={`#${r.seq} Dice`}
                stroke={COLOURS[i]}
                dot={false}
                connectNulls
                isAnimationActive={false}
              />
            ))}
            {records.map((r, i) => (
              <Line
                key={`l${r.seq}`}
                yAxisId="loss"
                dataKey={`l${i}`}
                name={`#${r.seq} loss`}
                stroke={COLOURS[i]}
                strokeDasharray="4 3"
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}

function CompareViewer(props: {
  candidate: CandidateSummary;
  caseId: string;
  channel: number;
  datasetPath: string;
  labels: LabelInfo[];
  onNiivue(nv: Niivue | null): void;
}) {
  const c = props.candidate;
  const canPredict = c.status === 'trained' || c.status === 'cached';
  const layers = useMemo<ViewerLayer[]>(() => {
    const base = { datasetPath: props.datasetPath, caseId: props.caseId };
    return [
      {
        id: 'image',
        title: 'Image',
        ref: { kind: 'case-image', ...base, ...(props.channel > 0 && { channel: props.channel }) },
      },
      { id: 'truth', title: 'Ground truth', ref: { kind: 'case-label', ...base } },
      ...(canPredict
        ? [
            {
              id: 'prediction' as const,
              title: `#${c.seq}`,
              ref: {
                kind: 'prediction' as const,
                experimentId: c.experimentId,
                seq: c.seq,
                caseId: props.caseId,
              },
            },
          ]
        : []),
    ];
  }, [props.datasetPath, props.caseId, props.channel, c.experimentId, c.seq, canPredict]);
  return (
    <div className="compare-col">
      <Viewer layers={layers} labels={props.labels} testId="compare-viewer" onNiivue={props.onNiivue} />
    </div>
  );
}
