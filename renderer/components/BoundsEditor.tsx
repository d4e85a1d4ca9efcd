/** Each hyperparameter of Table 2 fixed or searched in [lo, hi), with the six ops explained (Table 1). */
import type { Bound, SearchBounds, ValidationIssue } from '../../main/api';
import { OPS } from '../../main/core/spec';

const EDGE_NAMES = ['0→1', '0→2', '1→2', '0→3', '1→3', '2→3'];

const PARAMS: { key: 'n' | 'p' | 'sup' | 'res' | 'nodes'; title: string; help: string }[] = [
  { key: 'n', title: 'n', help: 'channels of the first MegaBlock (doubles after each pooling)' },
  { key: 'p', title: 'p', help: 'number of max-poolings (depth of the encoder)' },
  { key: 'sup', title: 'sup', help: 'deep supervision: 0 off, 1 on' },
  { key: 'res', title: 'res', help: 'residual connection around each block: 0 off, 1 on' },
  { key: 'nodes', title: 'nodes', help: 'feature maps in the block DAG (2–4)' },
];

function BoundRow(props: {
  title: string;
  help: string;
  bound: Bound;
  issue?: ValidationIssue;
  onChange(b: Bound): void;
  testId: string;
}) {
  const { bound } = props;
  const fixed = 'fixed' in bound;
  return (
    <div className={`bound-row ${props.issue ? 'invalid' : ''}`} data-testid={props.testId}>
      <div className="bound-name">
        <span className="mono">{props.title}</span>
        <span className="muted small">{props.help}</span>
      </div>
      <div className="segmented small">
        <button
          type="button"
          className={fixed ? 'active' : ''}
          onClick={() => !fixed && props.onChange({ fixed: bound.lo })}
        >
          fixed
        </button>
        <button
          type="button"
          className={!fixed ? 'active' : ''}
          onClick={() => fixed && props.onChange({ lo: bound.fixed, hi: bound.fixed + 1 })}
        >
          range
        </button>
      </div>
      {fixed ? (
        <div className="bound-inputs">
          <input
            type="number"
            value={bound.fixed}
            aria-label={`${props.title} value`}
            onChange={(e) => props.onChange({ fixed: Number(e.target.value) })}
          />
        </div>
      ) : (
        <div className="bound-inputs">
          [
          <input
            type="number"
            value={bound.lo}
            aria-label={`${props.title} lower bound`}
            onChange={(e) => props.onChange({ ...bound, lo: Number(e.target.value) })}
          />
          ,
          <input
            type="number"
            value={bound.hi}
            aria-label={`${props.title} upper bound`}
            onChange={(e) => props.onChange({ ...bound, hi: Number(e.target.value) })}
          />
          )
        </div>
      )}
      {props.issue && <div className="field-error">{props.issue.message}</div>}
    </div>
  );
}

export function BoundsEditor(props: {
  space: SearchBounds;
  issues: ValidationIssue[];
  onChange(space: SearchBounds): void;
}) {
  const { space } = props;
  const issueFor = (field: string) => props.issues.find((i) => i.field === `space.${field}`);
  const maxNodes = 'fixed' in space.nodes ? space.nodes.fixed : space.nodes.hi - 1;
  const opsNeeded = (maxNodes * (maxNodes - 1)) / 2;
  const resizeOps = (nodesBound: Bound): Bound[] => {
    const m = 'fixed' in nodesBound ? nodesBound.fixed : nodesBound.hi - 1;
    const need = Math.max(0, Math.min(6, (m * (m - 1)) / 2));
    return Array.from({ length: need }, (_, i) => space.ops[i] ?? { lo: 0, hi: 7 });
  };
  return (
    <div className="bounds-editor">
      {PARAMS.map((p) => (
        <BoundRow
          key={p.key}
          title={p.title}
          help={p.help}
          bound={space[p.key]}
          issue={issueFor(p.key)}
          testId={`bound-${p.key}`}
          onChange={(b) =>
            props.onChange(
              p.key === 'nodes' ? { ...space, nodes: b, ops: resizeOps(b) } : { ...space, [p.key]: b },
            )
          }
        />
      ))}
      <div className="ops-header">
        Block ops (matrix entries in column order; {opsNeeded} for blocks of up to {maxNodes} nodes)
        {issueFor('ops') && <div className="field-error">{issueFor('ops')!.message}</div>}
      </div>
      {space.ops.map((b, i) => (
        <BoundRow
          // biome-ignore lint/suspicious/noArrayIndexKey: ops are positional (matrix entries)
          key={i}
          title={`op ${EDGE_NAMES[i]}`}
          help="op code 0–6"
          bound={b}
          issue={issueFor(`ops[${i}]`)}
          testId={`bound-op${i}`}
          onChange={(nb) => props.onChange({ ...space, ops: space.ops.map((o, j) => (j === i ? nb : o)) })}
        />
      ))}
      <div className="ops-legend">
        {OPS.map((op) => (
          <span key={op.code} className="op-chip">
            <b>{op.code}</b> {op.label}
            <span className="muted small">
              {op.kind === 'conv'
                ? ` ${op.kernel}³ conv, dilation ${op.dilation}, BN + ReLU`
                : op.kind === 'skip'
                  ? ' identity (1×1×1 projection if channels change)'
                  : ' no connection'}
            </span>
          </span>
        ))}
      </div>
    </div>
  );
}
