/** Step 2: variant preset, bounds, training settings, seed, budget, backend, memory, estimate, start. */
import type { BackendName, ValidationIssue } from '../../main/api';
import { formatBytes } from '../../main/core/format';
import { useApp } from '../context';
import { BoundsEditor } from './BoundsEditor';
import { EngineSettings } from './EngineSettings';
import { EstimateSummary } from './EstimateSummary';
import { ProtocolFields } from './ProtocolFields';
import { PruningFields } from './PruningFields';
import { RunOnSection } from './RunOnSection';
import { TimeGoal } from './TimeGoal';

const BACKEND_TITLES: Record<BackendName, string> = {
  tensorflow: 'TensorFlow native (tfjs-node, CUDA if available)',
  webgpu: 'WebGPU',
  wasm: 'WebAssembly (CPU)',
  cpu: 'Pure JavaScript (CPU, slow)',
};

export function NumberField(props: {
  label: string;
  field: string;
  value: number;
  step?: number;
  issues: ValidationIssue[];
  hint?: string;
  /** Shown in an empty input, e.g. what an empty field means. */
  placeholder?: string;
  onChange(v: number): void;
}) {
  const issue = props.issues.find((i) => i.field === props.field);
  return (
    <label className={`field ${issue ? 'invalid' : ''}`}>
      <span className="field-label">{props.label}</span>
      <input
        type="number"
        step={props.step ?? 1}
        value={Number.isFinite(props.value) ? props.value : ''}
        placeholder={props.placeholder}
        data-testid={`field-${props.field}`}
        onChange={(e) => props.onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
      />
      {props.hint && !issue && <span className="field-hint">{props.hint}</span>}
      {issue && <span className="field-error">{issue.message}</span>}
    </label>
  );
}

/** While the demo's settings replace the user's: what changed, why, and a way back. */
function DemoSettingsNotice() {
  const demo = useApp((s) => s.demoSettings);
  const settle = useApp((s) => s.settleDemoSettings);
  if (!demo) return null;
  return (
    <div className="card demo-settings" data-testid="demo-settings-notice">
      <b>Demo settings in use</b> — chosen so that the demo search learns within two minutes on a CPU:
      <ul className="small">
        {demo.changes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="row">
        <button type="button" data-testid="demo-settings-mine" onClick={() => settle('mine')}>
          Use my settings instead
        </button>
        <button type="button" className="ghost" onClick={() => settle('demo')}>
          Keep the demo settings
        </button>
      </div>
    </div>
  );
}

const NO_ISSUES: ValidationIssue[] = [];

/** The search space: a preset, or any bound edited (which makes it Custom). */
function SearchSpaceCard() {
  const config = useApp((s) => s.config);
  const presets = useApp((s) => s.presets);
  const issues = useApp((s) => s.validation?.issues ?? NO_ISSUES);
  const update = useApp((s) => s.updateConfig);
  const applyPreset = useApp((s) => s.applyPreset);
  return (
    <div className="card">
      <h3>Search space</h3>
      <div className="preset-list">
        {presets.map((p) => (
          <button
            type="button"
            key={p.id}
            data-testid={`preset-${p.id}`}
            className={`preset ${config.variant === p.id ? 'active' : ''}`}
            onClick={() => applyPreset(p.id)}
            title={p.description}
          >
            <b>{p.name}</b>
            <span className="small muted">{p.description}</span>
          </button>
        ))}
        <div className={`preset ${config.variant === 'custom' ? 'active' : ''}`}>
          <b>Custom</b>
          <span className="small muted">edit any bound below</span>
        </div>
      </div>
      <BoundsEditor
        space={config.space}
        issues={issues}
        onChange={(space) => update((c) => ({ ...c, space, variant: 'custom' }))}
      />
    </div>
  );
}

const TRAINING_FIELDS: {
  key: 'size' | 'epochs' | 'batch' | 'learningRate';
  label: string;
  hint?: string;
  step?: number;
}[] = [
  { key: 'size', label: 'Image size S (S³ voxels)', hint: 'paper: 128; smaller is much faster on CPU' },
  { key: 'epochs', label: 'Epochs per candidate', hint: 'paper: 100' },
  { key: 'batch', label: 'Batch size', hint: 'paper: 3' },
  { key: 'learningRate', label: 'Learning rate (Nadam)', step: 0.0001 },
];

/** How each candidate trains (paper section 2.4), with the paper's values as hints. */
function TrainingFields() {
  const config = useApp((s) => s.config);
  const t = config.training;
  const issues = useApp((s) => s.validation?.issues ?? NO_ISSUES);
  const update = useApp((s) => s.updateConfig);
  const setTraining = (patch: Partial<typeof t>) =>
    update((c) => ({ ...c, training: { ...c.training, ...patch } }));
  return (
    <div className="fields">
      <ProtocolFields config={config} issues={issues} update={update} />
      {TRAINING_FIELDS.map((f) => (
        <NumberField
          key={f.key}
          label={f.label}
          field={`training.${f.key}`}
          value={t[f.key]}
          step={f.step}
          issues={issues}
          hint={f.hint}
          onChange={(v) => setTraining({ [f.key]: v })}
        />
      ))}
      <label className="field checkbox">
        <input
          type="checkbox"
          checked={t.augmentation}
          onChange={(e) => setTraining({ augmentation: e.target.checked })}
        />
        <span>Augmentation (rotation ±30°, shift ±20%, scale 0.8–1.2; 80% of images)</span>
      </label>
    </div>
  );
}

export function SearchSetup() {
  const config = useApp((s) => s.config);
  const validation = useApp((s) => s.validation);
  const info = useApp((s) => s.info);
  const dataset = useApp((s) => s.dataset);
  const busy = useApp((s) => s.busy.start);
  const update = useApp((s) => s.updateConfig);
  const start = useApp((s) => s.startSearch);
  const runningId = useApp((s) => (s.live?.status === 'running' ? s.live.experimentId : undefined));
  const issues = validation?.issues ?? [];
  const generalIssues = issues.filter((i) => i.field === 'datasetPath');

  return (
    <section className="panel" data-testid="search-setup">
      <DemoSettingsNotice />
      <TimeGoal />
      <div className="setup-grid">
        <SearchSpaceCard />
        <div className="card">
          <h3>Training</h3>
          <TrainingFields />
          <h3>Search</h3>
          <div className="fields">
            <NumberField
              label="Evaluation budget"
              field="evaluations"
              value={config.evaluations}
              issues={issues}
              hint="paper: 300"
              onChange={(evaluations) => update((c) => ({ ...c, evaluations }))}
            />
            <NumberField
              label="Time budget (hours)"
              field="budgetHours"
              value={config.budgetHours ?? Number.NaN}
              step={0.5}
              issues={issues}
              hint="empty: no limit; when spent, the search stops and can be resumed"
              onChange={(hours) =>
                update(({ budgetHours: _, ...c }) =>
                  Number.isFinite(hours) ? { ...c, budgetHours: hours } : c,
                )
              }
            />
            <NumberField
              label="Final training epochs"
              field="finalEpochs"
              value={config.finalEpochs ?? 0}
              issues={issues}
              hint="0: none; else the top K are retrained on train + validation (poly decay) and tested"
              onChange={(epochs) =>
                update(({ finalEpochs: _, ...c }) =>
                  Number.isFinite(epochs) && epochs > 0 ? { ...c, finalEpochs: epochs } : c,
                )
              }
            />
            <PruningFields config={config} issues={issues} update={update} />
            <NumberField
              label="Seed"
              field="seed"
              value={config.seed}
              issues={issues}
              hint="same seed, data and settings → same candidates"
              onChange={(seed) => update((c) => ({ ...c, seed }))}
            />
            <label className="field">
              <span className="field-label">Backend</span>
              <select
                value={config.backend}
                data-testid="field-backend"
                onChange={(e) => update((c) => ({ ...c, backend: e.target.value as BackendName }))}
              >
                {(info?.availableBackends ?? ['wasm']).map((b) => (
                  <option key={b} value={b}>
                    {BACKEND_TITLES[b]}
                  </option>
                ))}
              </select>
              <span className="field-hint">
                detected: {info ? `${info.backend.name} — ${info.backend.device}` : '…'}
              </span>
            </label>
            <EngineSettings />
            <NumberField
              label="Memory budget (MB)"
              field="memoryBudgetMB"
              value={config.memoryBudgetMB ?? Number.NaN}
              issues={issues}
              placeholder="the device's"
              hint="larger candidates are skipped as out-of-memory (f = 10); empty: the device's budget"
              onChange={(memoryBudgetMB) =>
                update(({ memoryBudgetMB: _, ...c }) =>
                  Number.isFinite(memoryBudgetMB) ? { ...c, memoryBudgetMB } : c,
                )
              }
            />
          </div>
          <RunOnSection />
          <div className="estimate" data-testid="time-estimate">
            <EstimateSummary />
            {validation?.memory && (
              <div
                className={`small ${validation.memory.smallest && validation.memory.smallest.bytes > (validation.memory.bytes ?? Number.POSITIVE_INFINITY) ? 'field-error' : 'muted'}`}
                data-testid="memory-budget"
              >
                Memory: {validation.memory.basis}
                {validation.memory.smallest &&
                  ` · the smallest network of the space needs ${formatBytes(validation.memory.smallest.bytes)}`}
              </div>
            )}
          </div>
          {issues.length > generalIssues.length && (
            <div className="field-error block" data-testid="setup-issue-count">
              {issues.length - generalIssues.length} setting
              {issues.length - generalIssues.length === 1 ? ' needs' : 's need'} fixing (highlighted in red)
            </div>
          )}
          {generalIssues.map((i) => (
            <div key={i.message} className="field-error block">
              {i.message}
            </div>
          ))}
          {runningId !== undefined && (
            <div className="notice-inline" data-testid="search-running-note">
              Experiment {runningId} is still searching; a new search would share the CPU with it (pause or
              stop it first for full speed).
            </div>
          )}
          <button
            type="button"
            className="primary large"
            data-testid="start-search"
            disabled={busy || !validation?.ok || !dataset}
            onClick={() => start()}
          >
            {busy ? 'Starting…' : 'Start search'}
          </button>
        </div>
      </div>
    </section>
  );
}
