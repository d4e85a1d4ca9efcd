/**
 * A scatter plot drawn on a canvas: every point is drawn (10,000 take a few milliseconds, where SVG
 * nodes take seconds), translucent, so where candidates pile up the plot is darker: the distribution
 * shows as it is instead of only its extremes. Clicking picks the nearest point.
 */
import { useEffect, useRef } from 'react';
import { clearedContext } from '../lib/canvas';
import { useParentSize } from '../lib/hooks';

export interface ScatterSeries {
  name: string;
  colour: string;
  shape: 'dot' | 'diamond' | 'cross';
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** What a click on a point reports (e.g. the candidate's seq). */
  ids: ArrayLike<number>;
}

export interface ScatterProps {
  series: ScatterSeries[];
  /** A step line drawn over the points (e.g. best so far). */
  line?: { name: string; colour: string; xs: number[]; ys: number[] };
  xLabel: string;
  yLabel: string;
  yDomain: [number, number];
  xLog?: boolean;
  /** The x axis starts here at the latest (e.g. evaluation 0) and is labelled in whole numbers. */
  xFromInteger?: number;
  onPick?(id: number): void;
  testId?: string;
}

const PAD = { left: 40, right: 10, top: 8, bottom: 34 };
const AXIS = '#8b95a7';
const GRID = '#262c38';

function niceTicks(lo: number, hi: number, count: number, integers = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = Math.max((hi - lo) / count, integers ? 1 : 0);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toPrecision(3).replace(/\.?0+$/, '')}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toPrecision(3).replace(/\.?0+$/, '')}k`;
  return String(Number(v.toPrecision(3)));
}

function extent(series: ScatterSeries[], log: boolean): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series)
    for (let i = 0; i < s.xs.length; i++) {
      const x = log ? Math.log10(Math.max(1, s.xs[i])) : s.xs[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

export function CanvasScatter(props: ScatterProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const size = useParentSize(canvasRef);
  const geometry = useRef<{ xToPx(x: number): number; yToPx(y: number): number } | undefined>(undefined);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || size.w === 0 || size.h === 0) return;
    const ctx = clearedContext(canvas, size);
    if (!ctx) return;
    const log = props.xLog ?? false;
    const from = props.xFromInteger;
    const [e0, e1] = extent(props.series, log);
    const x0 = from === undefined ? (e1 > e0 ? e0 : e0 - 1) : Math.min(from, e0);
    const x1 = from === undefined ? (e1 > e0 ? e1 : e1 + 1) : Math.max(e1, x0 + 1);
    const [y0, y1] = props.yDomain;
    const pw = size.w - PAD.left - PAD.right;
    const ph = size.h - PAD.top - PAD.bottom;
    const xToPx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * pw;
    const yToPx = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * ph;
    const xOf = (x: number) => (log ? Math.log10(Math.max(1, x)) : x);
    geometry.current = { xToPx: (x) => xToPx(xOf(x)), yToPx };

    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = GRID;
    ctx.fillStyle = AXIS;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(y0, y1, 5)) {
      const y = Math.round(yToPx(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(PAD.left, y);
      ctx.lineTo(PAD.left + pw, y);
      ctx.stroke();
      ctx.fillText(formatTick(t), PAD.left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xTicks = log
      ? niceTicks(Math.floor(x0), Math.ceil(x1), Math.ceil(x1) - Math.floor(x0)).filter(
          (t) => t >= x0 && t <= x1,
        )
      : niceTicks(x0, x1, 6, from !== undefined);
    for (const t of xTicks) {
      const x = Math.round(xToPx(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, PAD.top);
      ctx.lineTo(x, PAD.top + ph);
      ctx.stroke();
      ctx.fillText(formatTick(log ? 10 ** t : t), x, PAD.top + ph + 4);
    }
    ctx.fillText(props.xLabel, PAD.left + pw / 2, PAD.top + ph + 18);

    // Translucent points: overlap adds up, so dense regions read as dense.
    const total = props.series.reduce((s, x) => s + x.xs.length, 0);
    const alpha = total > 2000 ? 0.35 : total > 300 ? 0.6 : 0.9;
    const r = total > 2000 ? 2 : 3;
    ctx.globalAlpha = alpha;
    // Many points: squares (fillRect is several times cheaper than arcs in a software canvas).
    const squares = total > 300;
    for (const s of props.series) {
      ctx.fillStyle = s.colour;
      ctx.strokeStyle = s.colour;
      if (s.shape === 'dot' && squares) {
        for (let i = 0; i < s.xs.length; i++)
          ctx.fillRect(xToPx(xOf(s.xs[i])) - r, yToPx(s.ys[i]) - r, 2 * r, 2 * r);
        continue;
      }
      ctx.beginPath();
      for (let i = 0; i < s.xs.length; i++) {
        const x = xToPx(xOf(s.xs[i]));
        const y = yToPx(s.ys[i]);
        if (s.shape === 'dot') {
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, 2 * Math.PI);
        } else if (s.shape === 'diamond') {
          ctx.moveTo(x, y - r - 1);
          ctx.lineTo(x + r + 1, y);
          ctx.lineTo(x, y + r + 1);
          ctx.lineTo(x - r - 1, y);
          ctx.closePath();
        } else {
          ctx.moveTo(x - r, y - r);
          ctx.lineTo(x + r, y + r);
          ctx.moveTo(x + r, y - r);
          ctx.lineTo(x - r, y + r);
        }
      }
      if (s.shape === 'cross') ctx.stroke();
      else ctx.fill();
    }
    ctx.globalAlpha = 1;
    const line = props.line;
    if (line && line.xs.length > 0) {
      ctx.strokeStyle = line.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(xToPx(xOf(line.xs[0])), yToPx(line.ys[0]));
      for (let i = 1; i < line.xs.length; i++) {
        ctx.lineTo(xToPx(xOf(line.xs[i])), yToPx(line.ys[i - 1]));
        ctx.lineTo(xToPx(xOf(line.xs[i])), yToPx(line.ys[i]));
      }
      ctx.stroke();
    }
  }, [props.series, props.line, props.xLabel, props.yDomain, props.xLog, props.xFromInteger, size]);

  const pick = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const g = geometry.current;
    if (!g || !props.onPick) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const mx = e.clientX - rect.left;
    const my = e.clientY - rect.top;
    let best: { id: number; d: number } | undefined;
    for (const s of props.series)
      for (let i = 0; i < s.xs.length; i++) {
        const d = (g.xToPx(s.xs[i]) - mx) ** 2 + (g.yToPx(s.ys[i]) - my) ** 2;
        if (!best || d < best.d) best = { id: s.ids[i], d };
      }
    if (best && best.d < 12 ** 2) props.onPick(best.id);
  };

  return (
    <div className="canvas-chart" data-testid={props.testId}>
      <div className="canvas-area">
        <canvas ref={canvasRef} onClick={pick} title="Click a point to open that candidate" />
      </div>
      <div className="canvas-legend small">
        {props.series.map((s) => (
          <span key={s.name}>
            <span className="swatch" style={{ background: s.colour }} /> {s.name} ({s.xs.length})
          </span>
        ))}
        {props.line && (
          <span>
            <span className="swatch" style={{ background: props.line.colour }} /> {props.line.name}
          </span>
        )}
        <span className="muted">{props.yLabel}</span>
      </div>
    </div>
  );
}
