/** The block drawing: an illegal block's reason is wrapped text below the drawing, never cut at its edge. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { checkBlock } from '../../main/core/blockMatrix';
import { BlockDag } from '../../renderer/components/BlockDag';

describe('BlockDag', () => {
  it('writes the whole reason of an illegal block as HTML text outside the SVG', () => {
    // Node 1 has no input: only node 0 may be a source.
    const block = { nodes: 3 as const, ops: [0, 2, 2] as (0 | 2)[] };
    const reasons = checkBlock(block).problems.map((p) => p.message);
    expect(reasons.join(' ')).toContain('only node 0 may be a source');
    const html = renderToStaticMarkup(<BlockDag block={block} />);
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    expect(svg).not.toContain('illegal block');
    const reason = /<p[^>]*data-testid="dag-illegal"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    for (const r of reasons) expect(reason).toContain(r);
  });
});
