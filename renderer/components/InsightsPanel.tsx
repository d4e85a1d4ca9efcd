/**
 * Parallel coordinates (one line per trained candidate across its hyperparameters and Dice, coloured
 * by Dice, best drawn last) and hyperparameter importance, both computed by the engine (getInsights).
 * Drawn on a canvas: 10,000 polylines are milliseconds there. Loaded on demand, refreshed while a
 * search adds candidates at most every few seconds.
 */
import { useEffect, useRef, useState } from 'react';
import type { ExperimentInsights } from '../../main/api';
import { useApp } from '../context';
import { clearedContext } from '../lib/canvas';
import { useParentSize } from '../lib/hooks';

const REFRESH_MS = 5000;
const PAD = { left: 30, right: 40, top: 22, bottom: 24 };

/** Dark blue (low Dice) → yellow (high), readable on the dark background. */
function diceColour(d: number): string {
  const t = Math.max(0, Math.min(1, d));
  const r = Math.round(40 + t * 215);
  const g = Math.round(60 + t * 160);
  const b = Math.round(160 - t * 120);
  return `rgb(${r},${g},${b})`;
}

function ParallelCoordinates({ insights }: { insights: ExperimentInsights }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const size = useParentSize(ref);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || size.w === 0) return;
    const ctx = clearedContext(canvas, size);
    if (!ctx) return;
    const axes = [
      ...insights.axes.map((a) => ({
        name: a.name,
        at: (i: number) => {
          const v = a.values[i];
          if (v === null) return null;
          const [lo, hi] = a.log ? [Math.log10(a.lo), Math.log10(a.hi)] : [a.lo, a.hi];
          const x = a.log ? Math.log10(v) : v;
          return hi > lo ? (x - lo) / (hi - lo) : 0.5;
        },
        lo: a.levels?.find((l) => l.value === a.lo)?.label ?? String(Number(a.lo.toPrecision(3))),
        hi: a.levels?.find((l) => l.value === a.hi)?.label ?? String(Number(a.hi.toPrecision(3))),
      })),
      { name: 'Dice', at: (i: number) => insights.valDice[i], lo: '0', hi: '1' },
    ];
    const n = insights.seq.length;
    const pw = size.w - PAD.left - PAD.right;
    const ph = size.h - PAD.top - PAD.bottom;
    const ax = (k: number) => PAD.left + (axes.length > 1 ? (k * pw) / (axes.length - 1) : 0);
    const ay = (t: number) => PAD.top + (1 - t) * ph;
    // Worst first, best last, so the best candidates' lines stay visible on top.
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => insights.valDice[a] - insights.valDice[b],
    );
    ctx.globalAlpha = n > 2000 ? 0.12 : n > 300 ? 0.3 : 0.7;
    ctx.lineWidth = 1;
    for (const i of order) {
      ctx.strokeStyle = diceColour(insights.valDice[i]);
      ctx.beginPath();
      let pen = false;
      axes.forEach((a, k) => {
        const t = a.at(i);
        if (t === null) {
          pen = false;
          return;
        }
        if (pen) ctx.lineTo(ax(k), ay(t));
        else ctx.moveTo(ax(k), ay(t));
        pen = true;
      });
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = '#8b95a7';
    ctx.fillStyle = '#c9d1e0';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    axes.forEach((a, k) => {
      const x = Math.round(ax(k)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, PAD.top);
      ctx.lineTo(x, PAD.top + ph);
      ctx.stroke();
      ctx.textAlign = 'center';
      ctx.fillText(a.name, x, PAD.top - 8);
      ctx.fillText(a.lo, x, PAD.top + ph + 14);
      // The top value beside the axis's end, where the lines do not reach the label.
      ctx.textAlign = 'left';
      ctx.fillText(a.hi, x + 3, PAD.top + 9);
    });
  }, [insights, size]);
  return (
    <div className="canvas-chart">
      <div className="canvas-area">
        <canvas ref={ref} />
      </div>
    </div>
  );
}

export function InsightsPanel(props: { experimentId: number; finished: number }) {
  const readInsights = useApp((s) => s.readInsights);
  const [insights, setInsights] = useState<ExperimentInsights>();
  const [error, setError] = useState<string>();
  const lastFetch = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch as candidates finish, throttled
  useEffect(() => {
    let current = true;
    const wait = Math.max(0, lastFetch.current + REFRESH_MS - Date.now());
    const timer = setTimeout(() => {
      lastFetch.current = Date.now();
      readInsights(props.experimentId)
        .then((r) => {
          if (!current) return;
          setInsights(r);
          setError(undefined);
        })
        .catch((e: unknown) => current && setError(e instanceof Error ? e.message : String(e)));
    }, wait);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [readInsights, props.experimentId, props.finished]);
  if (error)
    return <div className="card muted small">Cannot compute the hyperparameter insights: {error}</div>;
  if (!insights) return <div className="card muted small">Computing hyperparameter insights…</div>;
  if (insights.seq.length < 3 || insights.axes.length === 0)
    return (
      <div className="card muted small" data-testid="insights">
        Parallel coordinates and importance appear once at least three candidates with varying hyperparameters
        have a validation Dice.
      </div>
    );
  return (
    <div className="insights" data-testid="insights" data-rows={insights.seq.length}>
      <div className="chart-card">
        <div className="chart-title">
          Parallel coordinates ({insights.seq.length} trained or cached candidates, coloured by Dice)
        </div>
        <div className="chart-body" data-testid="parallel-coordinates">
          <ParallelCoordinates insights={insights} />
        </div>
      </div>
      <div className="chart-card" data-testid="importance">
        <div className="chart-title">Hyperparameter importance</div>
        {insights.importance.map((p) => (
          <div
            key={p.name}
            className="importance-row"
            title={`ε² = ${p.epsilonSquared.toFixed(4)} over ${p.samples} candidates, ${p.levels} levels`}
          >
            <span>{p.name}</span>
            <div className="bar">
              <div style={{ width: `${p.importance * 100}%` }} />
            </div>
            <span className="mono">{(p.importance * 100).toFixed(0)}%</span>
          </div>
        ))}
        <p className="small muted">{insights.method}</p>
      </div>
    </div>
  );
}
