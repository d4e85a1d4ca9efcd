/** The block as a DAG (paper Fig. 2): nodes left to right, one labelled arc per non-zero op. */

import { blockEdges, checkBlock } from '../../main/core/blockMatrix';
import type { BlockSpec } from '../../main/core/spec';
import { OPS } from '../../main/core/spec';
import { edgeKeyOf } from '../lib/edgeKey';

const W = 460;
const H = 210;
const R = 17;

/** `highlight`: edges (by edgeKeyOf) drawn emphasised, e.g. those not shared by every compared block. */
export function BlockDag({ block, highlight }: { block: BlockSpec; highlight?: ReadonlySet<string> }) {
  const edges = blockEdges(block).filter((e) => e.op !== 0);
  const legal = checkBlock(block);
  const x = (i: number) => 40 + (i * (W - 80)) / Math.max(1, block.nodes - 1);
  const y = H / 2 + 10;
  // The reason for an illegal block is HTML below the drawing, not SVG text: SVG text does not wrap, and
  // a long reason was cut at the drawing's edge mid-sentence.
  return (
    <>
      <svg
        className="block-dag"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label="block architecture"
        data-testid="block-dag"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#8b95a7" />
          </marker>
        </defs>
        {edges.map((e) => {
          const span = e.to - e.from;
          const x1 = x(e.from) + R;
          const x2 = x(e.to) - R;
          // Adjacent nodes: straight; longer jumps arc above, higher the longer they are.
          const lift = span === 1 ? 0 : 40 * (span - 1) + 20;
          const mx = (x1 + x2) / 2;
          const path =
            lift === 0 ? `M${x1},${y} L${x2},${y}` : `M${x1},${y - 8} Q${mx},${y - lift * 2} ${x2},${y - 8}`;
          const op = OPS[e.op];
          const ly = lift === 0 ? y - 8 : y - lift - 4;
          const marked = highlight?.has(edgeKeyOf(e)) ?? false;
          return (
            <g
              key={`${e.from}-${e.to}`}
              className={marked ? 'dag-diff' : undefined}
              data-diff={marked || undefined}
            >
              <path
                d={path}
                fill="none"
                stroke={marked ? '#ff5fa2' : op.kind === 'skip' ? '#ffb020' : '#4f8cff'}
                strokeWidth={marked ? 3.5 : 2}
                strokeDasharray={op.kind === 'skip' ? '5 4' : undefined}
                markerEnd="url(#arrow)"
              />
              <text
                x={mx}
                y={ly}
                textAnchor="middle"
                className="dag-label"
                fontWeight={marked ? 700 : undefined}
              >
                {op.label}
              </text>
            </g>
          );
        })}
        {Array.from({ length: block.nodes }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: nodes are positional
          <g key={i}>
            <circle cx={x(i)} cy={y} r={R} className="dag-node" />
            <text x={x(i)} y={y + 4} textAnchor="middle" className="dag-node-label">
              {i === 0 ? 'in' : i === block.nodes - 1 ? 'out' : i}
            </text>
          </g>
        ))}
      </svg>
      {!legal.legal && (
        <p className="dag-illegal" data-testid="dag-illegal">
          illegal block: {legal.problems.map((p) => p.message).join('; ')}
        </p>
      )}
    </>
  );
}
