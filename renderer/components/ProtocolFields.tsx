/** The setup page's protocol: the paper's S³ cube, or the dataset's native plan with an optional patch (docs/protocols.md). */
import { useState } from 'react';
import type { SearchConfig, ValidationIssue } from '../../main/api';
import { formatPlan, type Protocol } from '../../main/core/datasetPlan';
import { useApp } from '../context';

const PROTOCOL_TITLES: Record<Protocol, string> = {
  paper: 'Paper — every image resized to the S³ cube',
  native: "Native — the dataset's plan: target spacing, patches, sliding window",
};

export function ProtocolFields(props: {
  config: SearchConfig;
  issues: ValidationIssue[];
  update(change: (c: SearchConfig) => SearchConfig): void;
}) {
  const plan = useApp((s) => s.dataset?.plan);
  const protocol = props.config.protocol ?? 'paper';
  const issue = props.issues.find((i) => i.field === 'patch');
  // The text as typed: "40, 5" on the way to "40, 56, 40" is not a patch yet, and must not be reset.
  const [text, setText] = useState(props.config.patch?.join(', ') ?? '');
  return (
    <>
      <label className="field">
        <span className="field-label">Protocol</span>
        <select
          value={protocol}
          data-testid="field-protocol"
          onChange={(e) => {
            setText('');
            props.update(({ patch: _, ...c }) => ({ ...c, protocol: e.target.value as Protocol }));
          }}
        >
          {(Object.keys(PROTOCOL_TITLES) as Protocol[]).map((p) => (
            <option key={p} value={p}>
              {PROTOCOL_TITLES[p]}
            </option>
          ))}
        </select>
        {protocol === 'native' && plan && <span className="field-hint">{formatPlan(plan)}</span>}
      </label>
      {protocol === 'native' && (
        <label className={`field ${issue ? 'invalid' : ''}`}>
          <span className="field-label">Patch X, Y, Z (voxels)</span>
          <input
            type="text"
            data-testid="field-patch"
            placeholder={plan ? plan.patchSize.join(', ') : "the plan's"}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              const sides = e.target.value.split(',').map((v) => Number(v.trim()));
              props.update(({ patch: _, ...c }) =>
                sides.length === 3 && sides.every((v) => Number.isInteger(v) && v > 0)
                  ? { ...c, patch: sides as [number, number, number] }
                  : c,
              );
            }}
          />
          {!issue && (
            <span className="field-hint">
              empty: the plan's, sized to the memory budget when the search starts
            </span>
          )}
          {issue && <span className="field-error">{issue.message}</span>}
        </label>
      )}
    </>
  );
}
