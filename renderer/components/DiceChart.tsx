/**
 * The paper's Fig. 3, live: validation Dice per evaluation with the best-so-far line, illegal / OOM /
 * failed evaluations on the axis and cached ones marked; beside it the running candidate's learning
 * curve and Dice against parameter count. Series are downsampled so thousands of points stay smooth.
 */
import { memo, useMemo } from 'react';
import {
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Candidate, CandidateStatus } from '../../main/api';
import { bestSteps, type CurvePoint, downsampleMinMax, searchCurve } from '../lib/chartData';
import type { RunningCandidate } from '../store/searchReducer';
import { chartAxis as axis, LearningCurveChart } from './LearningCurveChart';

const MAX_POINTS = 800;

export const STATUS_COLOURS: Record<CandidateStatus, string> = {
  trained: '#4f8cff',
  cached: '#9aa5b8',
  illegal: '#ff6b6b',
  oom: '#ffb020',
  failed: '#d94dff',
  running: '#31c48d',
};

function SearchCurveChart({ candidates }: { candidates: Candidate[] }) {
  const { series, best } = useMemo(() => {
    const curve = searchCurve(candidates);
    const by = (s: CandidateStatus[]) => curve.points.filter((p) => s.includes(p.status));
    return {
      series: {
        trained: downsampleMinMax(by(['trained']), MAX_POINTS, (p) => p.dice),
        cached: downsampleMinMax(by(['cached']), MAX_POINTS / 2, (p) => p.dice),
        free: downsampleMinMax(by(['illegal', 'oom', 'failed']), MAX_POINTS / 2, (p) => p.seq),
      },
      best: bestSteps(curve.best),
    };
  }, [candidates]);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart margin={{ top: 8, right: 12, bottom: 4, left: -8 }}>
        <CartesianGrid stroke="#262c38" />
        <XAxis
          dataKey="seq"
          type="number"
          name="evaluation"
          tick={axis}
          domain={[0, 'dataMax']}
          allowDecimals={false}
        />
        <YAxis dataKey="dice" type="number" domain={[0, 1]} tick={axis} name="Dice" />
        <Tooltip
          contentStyle={{ background: '#151a23', border: '1px solid #2d3545' }}
          formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Scatter
          name="trained"
          data={series.trained}
          fill={STATUS_COLOURS.trained}
          isAnimationActive={false}
        />
        <Scatter
          name="cached"
          data={series.cached}
          fill={STATUS_COLOURS.cached}
          shape="diamond"
          isAnimationActive={false}
        />
        <Scatter
          name="illegal / OOM / failed"
          data={series.free}
          fill={STATUS_COLOURS.illegal}
          shape="cross"
          isAnimationActive={false}
        />
        <Line
          name="best so far"
          data={best}
          dataKey="best"
          type="stepAfter"
          stroke="#31c48d"
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
        />
      </ComposedChart>
    </ResponsiveContainer>
  );
}

function LearningCurve({ running }: { running?: RunningCandidate }) {
  return <LearningCurveChart curve={running?.curve ?? []} />;
}

function ParamsScatter({ candidates }: { candidates: Candidate[] }) {
  const data = useMemo(() => {
    const pts: CurvePoint[] = searchCurve(candidates).points.filter(
      (p) => p.params !== null && (p.status === 'trained' || p.status === 'cached'),
    );
    return downsampleMinMax(pts, MAX_POINTS, (p) => p.dice).map((p) => ({
      ...p,
      params: (p.params ?? 0) / 1e6,
    }));
  }, [candidates]);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ScatterChart margin={{ top: 8, right: 12, bottom: 4, left: -8 }}>
        <CartesianGrid stroke="#262c38" />
        <XAxis dataKey="params" type="number" name="parameters (M)" tick={axis} scale="linear" />
        <YAxis dataKey="dice" type="number" name="Dice" domain={[0, 1]} tick={axis} />
        <Tooltip contentStyle={{ background: '#151a23', border: '1px solid #2d3545' }} />
        <Scatter data={data} fill="#a78bfa" isAnimationActive={false} />
      </ScatterChart>
    </ResponsiveContainer>
  );
}

export const DiceChart = memo(function DiceChart(props: {
  candidates: Candidate[];
  running?: RunningCandidate;
}) {
  const finished = props.candidates.filter((c) => c.status !== 'running').length;
  return (
    <div className="charts" data-testid="dice-chart" data-points={finished}>
      <div className="chart-card wide">
        <div className="chart-title">Validation Dice per evaluation</div>
        <div className="chart-body">
          <SearchCurveChart candidates={props.candidates} />
        </div>
      </div>
      <div className="chart-card">
        <div className="chart-title">
          Running candidate {props.running ? `#${props.running.seq}` : ''} — learning curve
        </div>
        <div className="chart-body">
          {props.running ? (
            <LearningCurve running={props.running} />
          ) : (
            <div className="empty">No candidate training.</div>
          )}
        </div>
      </div>
      <div className="chart-card">
        <div className="chart-title">Dice vs parameters (millions)</div>
        <div className="chart-body">
          <ParamsScatter candidates={props.candidates} />
        </div>
      </div>
    </div>
  );
});
