/**
 * Apply a found network to new images: choose a trained candidate (or an exported model folder), hand
 * over images, folders or DICOM series folders, watch the batch run, and look at each segmentation on
 * its image. The segmentations and a summary table are written to the output folder as they finish.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ApplyRequest, ApplyStatus, CandidateSummary, LabelInfo } from '../../main/api';
import { useApi, useApp } from '../context';
import { formatDice, formatDuration } from '../lib/format';
import { loadCandidates } from '../lib/loadCandidates';
import { Viewer, type ViewerLayer } from './Viewer';

type ModelChoice = { kind: 'candidate' } | { kind: 'folder' };

export function ApplyPage() {
  const api = useApi();
  const experiments = useApp((s) => s.experiments);
  const refresh = useApp((s) => s.refreshExperiments);
  const notify = useApp((s) => s.notify);
  const [choice, setChoice] = useState<ModelChoice>({ kind: 'candidate' });
  const [experimentId, setExperimentId] = useState<number | undefined>();
  const [candidates, setCandidates] = useState<CandidateSummary[]>([]);
  /** Trained candidates of the chosen experiment whose model was not kept. */
  const [withoutModel, setWithoutModel] = useState(0);
  const [seq, setSeq] = useState<number | undefined>();
  const [modelDir, setModelDir] = useState('');
  const [inputs, setInputs] = useState<string[]>([]);
  const [typed, setTyped] = useState('');
  const [outDir, setOutDir] = useState('');
  const [firstVolume, setFirstVolume] = useState(false);
  const [hover, setHover] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [runId, setRunId] = useState<number>();
  const [status, setStatus] = useState<ApplyStatus>();
  const [shown, setShown] = useState<string>();

  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    if (experimentId === undefined && experiments.length > 0) setExperimentId(experiments[0].id);
  }, [experiments, experimentId]);
  useEffect(() => {
    if (experimentId === undefined) return;
    let live = true;
    api
      .getExperiment({ experimentId })
      .then(async (d) => ({
        kept: new Set(d.keptModels),
        rows: await loadCandidates(d.candidates, (afterSeq) =>
          api.getCandidatePage({ experimentId, afterSeq }),
        ),
      }))
      .then(
        ({ kept, rows }) => {
          if (!live) return;
          const trained = rows.filter((c) => c.status === 'trained' && c.valDice !== null);
          // Only the best candidates' models are kept: the others cannot be applied.
          const usable = trained
            .filter((c) => kept.has(c.seq))
            .sort((a, b) => (b.valDice ?? 0) - (a.valDice ?? 0));
          setCandidates(usable);
          setWithoutModel(trained.length - usable.length);
          setSeq(usable[0]?.seq);
        },
        (e: unknown) => notify('error', `Cannot read experiment ${experimentId}: ${String(e)}`),
      );
    return () => {
      live = false;
    };
  }, [api, experimentId, notify]);

  // Poll the run while it goes; the engine keeps its progress and finished images.
  useEffect(() => {
    if (runId === undefined) return;
    let live = true;
    const tick = async () => {
      try {
        const s = await api.getApply({ runId });
        if (!live) return;
        setStatus(s);
        setShown((cur) => cur ?? s.items[0]?.id);
        if (s.error) notify('error', `Applying the model failed: ${s.error}`);
        if (!s.finished) setTimeout(tick, 500);
      } catch (e) {
        if (live) notify('error', String(e));
      }
    };
    void tick();
    return () => {
      live = false;
    };
  }, [api, runId, notify]);

  const addInput = (path: string | undefined) => {
    if (path) setInputs((cur) => (cur.includes(path) ? cur : [...cur, path]));
  };
  const handOver = async (get: (p: (done: number, total: number) => void) => Promise<string | undefined>) => {
    try {
      addInput(await get((done, total) => setBusy(`Uploading ${done}/${total} files…`)));
    } catch (e) {
      notify('error', e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(undefined);
    }
  };

  const start = async () => {
    const model: ApplyRequest['model'] | undefined =
      choice.kind === 'folder'
        ? modelDir.trim()
          ? { modelDir: modelDir.trim() }
          : undefined
        : experimentId !== undefined && seq !== undefined
          ? { experimentId, seq }
          : undefined;
    if (!model) return notify('error', 'Choose a trained candidate or a model folder first.');
    if (inputs.length === 0) return notify('error', 'Add images, a folder or a DICOM folder first.');
    try {
      setStatus(undefined);
      setShown(undefined);
      const { runId: id } = await api.startApply({
        model,
        inputs,
        ...(outDir.trim() ? { outDir: outDir.trim() } : {}),
        firstVolume,
      });
      setRunId(id);
    } catch (e) {
      notify('error', e instanceof Error ? e.message : String(e));
    }
  };

  const item = status?.items.find((i) => i.id === shown);
  const labels = useMemo<LabelInfo[]>(
    () =>
      item
        ? [
            { value: 0, name: 'background' },
            ...item.structures.map((s) => ({ value: s.value, name: s.name })),
          ]
        : [],
    [item],
  );
  const layers = useMemo<ViewerLayer[]>(
    () =>
      runId !== undefined && shown
        ? [
            { id: 'image', title: 'Image', ref: { kind: 'apply-image', runId, id: shown } },
            { id: 'prediction', title: 'Segmentation', ref: { kind: 'apply-result', runId, id: shown } },
          ]
        : [],
    [runId, shown],
  );
  const running = status !== undefined && !status.finished;
  const p = status?.progress;
  const names = status?.items[0]?.structures.map((s) => s.name) ?? [];

  return (
    <section className="panel" data-testid="apply-page">
      <div className="section-header">
        <h2>Apply a network to new images</h2>
      </div>
      <div className="detail-grid">
        <div className="card">
          <div className="card-title">Model</div>
          <label className="row">
            <input
              type="radio"
              checked={choice.kind === 'candidate'}
              onChange={() => setChoice({ kind: 'candidate' })}
            />
            A trained candidate
          </label>
          {choice.kind === 'candidate' && (
            <div className="row">
              <select
                data-testid="apply-experiment"
                value={experimentId ?? ''}
                onChange={(e) => setExperimentId(Number(e.target.value))}
              >
                {experiments.map((e) => (
                  <option key={e.id} value={e.id}>
                    #{e.id} {e.name}
                  </option>
                ))}
              </select>
              <select
                data-testid="apply-candidate"
                value={seq ?? ''}
                onChange={(e) => setSeq(Number(e.target.value))}
              >
                {candidates.map((c) => (
                  <option key={c.seq} value={c.seq}>
                    #{c.seq} · Dice {formatDice(c.valDice)}
                  </option>
                ))}
              </select>
            </div>
          )}
          {choice.kind === 'candidate' && withoutModel > 0 && (
            <div className="small muted" data-testid="apply-without-model">
              {withoutModel} other trained candidate{withoutModel === 1 ? '' : 's'} not listed: only the best
              candidates' models are kept. Testing more of the top candidates (Test top K on the Search page)
              retrains those and keeps their models.
            </div>
          )}
          <label className="row">
            <input
              type="radio"
              checked={choice.kind === 'folder'}
              onChange={() => setChoice({ kind: 'folder' })}
            />
            An exported model folder
          </label>
          {choice.kind === 'folder' && (
            <input
              style={{ width: '100%' }}
              data-testid="apply-model-dir"
              placeholder="/path/to/model (model.json + weights.bin)"
              value={modelDir}
              onChange={(e) => setModelDir(e.target.value)}
            />
          )}
        </div>
        <section
          className={`drop-zone ${hover ? 'hover' : ''}`}
          aria-label="Drop images here"
          onDragOver={(e) => {
            e.preventDefault();
            setHover(true);
          }}
          onDragLeave={() => setHover(false)}
          onDrop={(e) => {
            e.preventDefault();
            setHover(false);
            const data = e.dataTransfer;
            void handOver((onProgress) => api.datasetFromDrop(data, onProgress));
          }}
        >
          <div className="drop-title">Drop images, a folder of them, or a folder of DICOM series</div>
          <div className="drop-hint">NIfTI (.nii, .nii.gz) or DICOM; one DICOM series is one image</div>
          <div className="drop-actions">
            <button type="button" onClick={() => handOver((onProgress) => api.pickDatasetFolder(onProgress))}>
              Choose folder…
            </button>
          </div>
          <form
            className="path-form"
            onSubmit={(e) => {
              e.preventDefault();
              addInput(typed.trim() || undefined);
              setTyped('');
            }}
          >
            <input
              data-testid="apply-input-path"
              placeholder="…or type a file or folder path on the engine's machine"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
            />
            <button type="submit">Add</button>
          </form>
          {busy && <div className="busy">{busy}</div>}
          {inputs.length > 0 && (
            <ul className="small mono" data-testid="apply-inputs">
              {inputs.map((i) => (
                <li key={i}>
                  {i}{' '}
                  <button
                    type="button"
                    className="ghost"
                    onClick={() => setInputs(inputs.filter((x) => x !== i))}
                  >
                    ✕
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <div className="row">
        <label className="row">
          <input type="checkbox" checked={firstVolume} onChange={(e) => setFirstVolume(e.target.checked)} />
          Use the first volume of 4-D DICOM series
        </label>
        <input
          placeholder="Output folder (default: in the workspace)"
          value={outDir}
          onChange={(e) => setOutDir(e.target.value)}
        />
        <button
          type="button"
          className="primary"
          data-testid="apply-start"
          disabled={running}
          onClick={start}
        >
          {running ? 'Segmenting…' : 'Segment'}
        </button>
        {running && runId !== undefined && (
          <button
            type="button"
            data-testid="apply-cancel"
            onClick={() => api.cancelApply({ runId }).catch((e: unknown) => notify('error', String(e)))}
          >
            Cancel
          </button>
        )}
      </div>
      {p && (
        <div className="row" data-testid="apply-progress">
          <span className="progress-track">
            <span className="progress-fill" style={{ width: `${p.total ? (100 * p.done) / p.total : 0}%` }} />
          </span>
          <span>
            {p.phase === 'reading' ? 'Reading inputs…' : `${p.done} / ${p.total} images`}
            {running && p.etaSeconds !== undefined && p.done > 0 && ` · ETA ${formatDuration(p.etaSeconds)}`}
            {p.trainer && ` · ${p.trainer.version} on ${p.trainer.device}`}
          </span>
          {status?.finished && !status.error && (
            <span className="muted small mono">
              written to {status.outDir}
              {status.summaryPath && ` · summary ${status.summaryPath}`}
            </span>
          )}
        </div>
      )}
      {status?.labels && (
        <div className="labels" data-testid="apply-labels">
          <span className="small muted">Writes the labels: </span>
          {status.labels.map((l) => (
            <span key={l.value} className="label-chip">
              <b>{l.value}</b> {l.name}
            </span>
          ))}
        </div>
      )}
      {status?.items.some((i) => i.warnings?.length) && (
        <ul className="problems" data-testid="apply-warnings">
          {status.items.flatMap((i) =>
            (i.warnings ?? []).map((w) => (
              <li key={`${i.id}-${w}`} className="warning">
                <span className="sev">unlike the training images</span>
                <span className="mono file">{i.id}</span>
                <span>{w}</span>
              </li>
            )),
          )}
        </ul>
      )}
      {status && status.items.length > 0 && (
        <div className="table-wrap">
          <table data-testid="apply-results">
            <thead>
              <tr>
                <th>Image</th>
                <th>Series</th>
                <th>Size</th>
                {names.map((n) => (
                  <th key={n}>{n} (mL)</th>
                ))}
                <th>Seconds</th>
              </tr>
            </thead>
            <tbody>
              {status.items.map((i) => (
                <tr
                  key={i.id}
                  className={i.id === shown ? 'selected' : ''}
                  onClick={() => setShown(i.id)}
                  data-testid="apply-row"
                >
                  <td className="mono">
                    {i.id}
                    {i.warnings?.length ? (
                      <span className="bad-text" title={i.warnings.join('\n')}>
                        {' '}
                        ⚠
                      </span>
                    ) : null}
                  </td>
                  <td>{i.series ? `${i.series.number ?? '?'} ${i.series.description}` : ''}</td>
                  <td>{i.dims.join('×')}</td>
                  {i.structures.map((s) => (
                    <td key={s.name} className="mono">
                      {s.ml.toFixed(2)}
                    </td>
                  ))}
                  <td className="mono">{i.seconds.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {item && layers.length > 0 && (
        <Viewer key={`${runId}-${shown}`} layers={layers} labels={labels} testId="apply-viewer" />
      )}
    </section>
  );
}
