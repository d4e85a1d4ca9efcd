/** The setup page's early stopping across candidates: the rule and its parameters (docs/search.md). */
import { DEFAULT_SEARCH_CONFIG, type SearchConfig, type ValidationIssue } from '../../main/api';
import { PRUNE_RULES, type PruneRuleName, type PruneSettings } from '../../main/core/searchConfig';
import { NumberField } from './SearchSetup';

const RULE_TITLES: Record<PruneRuleName, string> = {
  off: 'Off — every candidate trains all epochs (the paper)',
  asha: 'ASHA — keep the top 1/η at each rung',
  median: 'Median — stop below the median of earlier candidates',
};

export function PruningFields(props: {
  config: SearchConfig;
  issues: ValidationIssue[];
  update(change: (c: SearchConfig) => SearchConfig): void;
}) {
  const prune: PruneSettings = props.config.prune ?? { ...DEFAULT_SEARCH_CONFIG.prune };
  const set = (patch: Partial<PruneSettings>) =>
    props.update((c) => ({ ...c, prune: { ...prune, ...patch } }));
  return (
    <>
      <label className="field">
        <span className="field-label">Stop poor candidates early</span>
        <select
          value={prune.rule}
          data-testid="field-prune.rule"
          onChange={(e) => set({ rule: e.target.value as PruneRuleName })}
        >
          {PRUNE_RULES.map((r) => (
            <option key={r} value={r}>
              {RULE_TITLES[r]}
            </option>
          ))}
        </select>
        <span className="field-hint">stopped candidates are marked pruned and never chosen as best</span>
      </label>
      {prune.rule === 'asha' && (
        <>
          <NumberField
            label="ASHA reduction factor η"
            field="prune.eta"
            value={prune.eta}
            issues={props.issues}
            hint={`default ${DEFAULT_SEARCH_CONFIG.prune.eta}`}
            onChange={(eta) => set({ eta })}
          />
          <NumberField
            label="ASHA first rung (epochs)"
            field="prune.minEpochs"
            value={prune.minEpochs}
            issues={props.issues}
            hint={`default ${DEFAULT_SEARCH_CONFIG.prune.minEpochs}; rungs at r·η^k epochs`}
            onChange={(minEpochs) => set({ minEpochs })}
          />
        </>
      )}
      {prune.rule === 'median' && (
        <>
          <NumberField
            label="Median warm-up (epochs)"
            field="prune.warmupEpochs"
            value={prune.warmupEpochs}
            issues={props.issues}
            hint={`default ${DEFAULT_SEARCH_CONFIG.prune.warmupEpochs}`}
            onChange={(warmupEpochs) => set({ warmupEpochs })}
          />
          <NumberField
            label="Median: earlier candidates needed"
            field="prune.minCandidates"
            value={prune.minCandidates}
            issues={props.issues}
            hint={`default ${DEFAULT_SEARCH_CONFIG.prune.minCandidates}`}
            onChange={(minCandidates) => set({ minCandidates })}
          />
        </>
      )}
    </>
  );
}
