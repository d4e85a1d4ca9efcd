/**
 * The paper's Fig. 3, live: validation Dice per evaluation with the best-so-far line, illegal / OOM /
 * failed evaluations on the axis and cached ones marked; beside it the running candidate's learning
 * curve and Dice against parameter count (log scale). Both scatters draw every candidate on a canvas.
 */
import { memo, useMemo, useRef } from 'react';
import type { CandidateStatus, CandidateSummary } from '../../main/api';
import { describeSpec } from '../../main/core/spec';
import { bestSteps, type SearchCurve, updateSearchCurve } from '../lib/chartData';
import { formatCount } from '../lib/format';
import type { RunningCandidate } from '../store/searchReducer';
import { CanvasScatter, type ScatterSeries } from './CanvasScatter';
import { LearningCurveChart } from './LearningCurveChart';

export const STATUS_COLOURS: Record<CandidateStatus, string> = {
  trained: '#4f8cff',
  cached: '#9aa5b8',
  illegal: '#ff6b6b',
  oom: '#ffb020',
  failed: '#d94dff',
  running: '#31c48d',
  pruned: '#e0a85c',
};

const DICE_DOMAIN: [number, number] = [0, 1];

function columns(
  points: SearchCurve['points'],
  keep: (p: SearchCurve['points'][number]) => boolean,
  x: (p: SearchCurve['points'][number]) => number,
) {
  const xs: number[] = [];
  const ys: number[] = [];
  const ids: number[] = [];
  for (const p of points)
    if (keep(p)) {
      xs.push(x(p));
      ys.push(p.dice);
      ids.push(p.seq);
    }
  return { xs, ys, ids };
}

export const DiceChart = memo(function DiceChart(props: {
  candidates: CandidateSummary[];
  running?: RunningCandidate;
  onPick?(seq: number): void;
}) {
  // A live search appends candidates: extend the curve rather than rebuilding it per candidate.
  const curveRef = useRef<SearchCurve | undefined>(undefined);
  const curve = useMemo(() => {
    curveRef.current = updateSearchCurve(curveRef.current, props.candidates);
    return curveRef.current;
  }, [props.candidates]);
  const length = curve.points.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the curve's arrays grow in place; its length says when
  const { bySeq, byParams, best } = useMemo(() => {
    const pts = curve.points;
    const seqX = (p: (typeof pts)[number]) => p.seq;
    const bySeq: ScatterSeries[] = [
      {
        name: 'trained',
        colour: STATUS_COLOURS.trained,
        shape: 'dot',
        ...columns(pts, (p) => p.status === 'trained', seqX),
      },
      {
        name: 'cached',
        colour: STATUS_COLOURS.cached,
        shape: 'diamond',
        ...columns(pts, (p) => p.status === 'cached', seqX),
      },
      {
        // Stopped early by the pruning rule: the Dice of the epochs it trained, never a best.
        name: 'pruned',
        colour: STATUS_COLOURS.pruned,
        shape: 'diamond',
        ...columns(pts, (p) => p.status === 'pruned', seqX),
      },
      {
        name: 'illegal / OOM / failed',
        colour: STATUS_COLOURS.illegal,
        shape: 'cross',
        ...columns(pts, (p) => p.status === 'illegal' || p.status === 'oom' || p.status === 'failed', seqX),
      },
    ];
    const byParams: ScatterSeries[] = [
      {
        name: 'trained or cached',
        colour: '#a78bfa',
        shape: 'dot',
        ...columns(
          pts,
          (p) => p.params !== null && (p.status === 'trained' || p.status === 'cached'),
          (p) => p.params ?? 0,
        ),
      },
    ];
    const steps = bestSteps(curve.best);
    return {
      bySeq,
      byParams,
      best: {
        name: 'best so far',
        colour: '#31c48d',
        xs: steps.map((s) => s.seq),
        ys: steps.map((s) => s.best),
      },
    };
  }, [curve, length]);
  return (
    <div className="charts" data-testid="dice-chart" data-points={length}>
      <div className="chart-card wide">
        <div className="chart-title">Validation Dice per evaluation</div>
        <div className="chart-body">
          <CanvasScatter
            series={bySeq}
            line={best}
            xLabel="evaluation"
            xFromInteger={0}
            yLabel="y: validation Dice"
            yDomain={DICE_DOMAIN}
            onPick={props.onPick}
            testId="search-curve"
          />
        </div>
      </div>
      <div className="chart-card">
        <div className="chart-title">
          Running candidate {props.running ? `#${props.running.seq}` : ''} — learning curve
          {props.running && (
            <div className="small muted" data-testid="running-architecture">
              {describeSpec(props.running.spec)}
              {props.running.params != null && ` · ${formatCount(props.running.params)} parameters`}
            </div>
          )}
        </div>
        <div className="chart-body">
          {props.running ? (
            <LearningCurveChart curve={props.running.curve} />
          ) : (
            <div className="empty">No candidate training.</div>
          )}
        </div>
      </div>
      <div className="chart-card">
        <div className="chart-title">Dice vs parameters</div>
        <div className="chart-body">
          <CanvasScatter
            series={byParams}
            xLabel="parameters (log scale)"
            yLabel="y: validation Dice"
            yDomain={DICE_DOMAIN}
            xLog
            onPick={props.onPick}
            testId="params-scatter"
          />
        </div>
      </div>
    </div>
  );
});
