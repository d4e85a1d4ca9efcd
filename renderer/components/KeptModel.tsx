/**
 * A trained candidate's model in its detail panel: the downloads when the model was kept, else a
 * Retrain button (only the best candidates' models are kept as the search goes), which trains it
 * again the way `segnas evaluate` does, so that it can then be downloaded and applied.
 */
import { useApp } from '../context';
import { ModelDownloads } from './ModelDownloads';

export function KeptModel(props: { experimentId: number; seq: number; status: string }) {
  const kept = useApp((s) =>
    s.live?.experimentId === props.experimentId ? s.live.keptModels?.includes(props.seq) : undefined,
  );
  const searching = useApp((s) => s.live?.experimentId === props.experimentId && s.live.status === 'running');
  const retraining = useApp((s) => s.busy.retrain);
  const retrain = useApp((s) => s.retrain);
  // Unknown (an older engine's detail): offer the downloads, which say themselves when there is no model.
  if (kept !== false || props.status !== 'trained')
    return <ModelDownloads experimentId={props.experimentId} seq={props.seq} />;
  return (
    <div data-testid="retrain-offer">
      <div className="card-title">Model not kept</div>
      <div className="muted small">
        Only the best candidates' models are kept while the search runs. Retrain this one on the same training
        cases to apply it, download it and see its segmentations.
      </div>
      <button
        type="button"
        data-testid="retrain"
        disabled={retraining !== undefined || searching}
        title={searching ? 'Pause or stop the search first: its trainers are busy' : undefined}
        onClick={() => void retrain(props.seq)}
      >
        {retraining === props.seq ? 'Retraining…' : 'Retrain'}
      </button>
    </div>
  );
}
