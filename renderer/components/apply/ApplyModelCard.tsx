/** The model to apply: a trained candidate whose model was kept, or an exported model folder. */
import { useEffect } from 'react';
import { useApp } from '../../context';
import { formatDice } from '../../lib/format';

function CandidateChoice() {
  const experiments = useApp((s) => s.experiments);
  const form = useApp((s) => s.applyForm);
  const setForm = useApp((s) => s.setApplyForm);
  const models = useApp((s) =>
    s.applyModels?.experimentId === form.experimentId ? s.applyModels : undefined,
  );
  return (
    <>
      <div className="row">
        <select
          data-testid="apply-experiment"
          value={form.experimentId ?? ''}
          onChange={(e) => setForm({ experimentId: Number(e.target.value) })}
        >
          {experiments.map((e) => (
            <option key={e.id} value={e.id}>
              #{e.id} {e.name}
            </option>
          ))}
        </select>
        <select
          data-testid="apply-candidate"
          value={form.seq ?? ''}
          onChange={(e) => setForm({ seq: Number(e.target.value) })}
        >
          {(models?.candidates ?? []).map((c) => (
            <option key={c.seq} value={c.seq}>
              #{c.seq} · Dice {formatDice(c.valDice)}
            </option>
          ))}
        </select>
      </div>
      {models && models.withoutModel > 0 && (
        <div className="small muted" data-testid="apply-without-model">
          {models.withoutModel} other trained candidate{models.withoutModel === 1 ? '' : 's'} not listed: only
          the best candidates' models are kept. Open one on the Search page and press Retrain to keep its
          model.
        </div>
      )}
    </>
  );
}

export function ApplyModelCard() {
  const experiments = useApp((s) => s.experiments);
  const refresh = useApp((s) => s.refreshExperiments);
  const form = useApp((s) => s.applyForm);
  const setForm = useApp((s) => s.setApplyForm);
  const loadModels = useApp((s) => s.loadApplyModels);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    if (form.experimentId === undefined && experiments.length > 0)
      setForm({ experimentId: experiments[0].id });
  }, [experiments, form.experimentId, setForm]);
  useEffect(() => {
    if (form.experimentId !== undefined) void loadModels(form.experimentId);
  }, [form.experimentId, loadModels]);
  return (
    <div className="card">
      <div className="card-title">Model</div>
      <label className="row">
        <input
          type="radio"
          checked={form.choice === 'candidate'}
          onChange={() => setForm({ choice: 'candidate' })}
        />
        A trained candidate
      </label>
      {form.choice === 'candidate' && <CandidateChoice />}
      <label className="row">
        <input
          type="radio"
          checked={form.choice === 'folder'}
          onChange={() => setForm({ choice: 'folder' })}
        />
        An exported model folder
      </label>
      {form.choice === 'folder' && (
        <input
          style={{ width: '100%' }}
          data-testid="apply-model-dir"
          placeholder="/path/to/model (model.json + weights.bin)"
          value={form.modelDir}
          onChange={(e) => setForm({ modelDir: e.target.value })}
        />
      )}
    </div>
  );
}
