/**
 * A kept model's files for use outside the app (model.onnx and the preprocessing it expects), offered
 * as downloads from the candidate's details; docs/engines.md shows how to run them.
 */
import { useState } from 'react';
import { ApiError, MODEL_DOWNLOADS, type ModelDownload } from '../../main/api';
import { useApp } from '../context';
import { saveBlob } from '../lib/saveFile';

export function ModelDownloads(props: { experimentId: number; seq: number }) {
  const readModelFile = useApp((s) => s.readModelFile);
  const [busy, setBusy] = useState<ModelDownload>();
  const [problem, setProblem] = useState<string>();
  const download = async (file: ModelDownload) => {
    setBusy(file);
    setProblem(undefined);
    try {
      const f = await readModelFile(props.experimentId, props.seq, file);
      saveBlob(f.name, new Blob([f.bytes as Uint8Array<ArrayBuffer>]));
    } catch (e) {
      setProblem(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div data-testid="model-downloads">
      <div className="card-title">Use it elsewhere (ONNX)</div>
      <div className="row">
        {MODEL_DOWNLOADS.map((file) => (
          <button
            key={file}
            type="button"
            disabled={busy !== undefined}
            onClick={() => void download(file)}
            data-testid={`download-${file}`}
          >
            {busy === file ? 'Preparing…' : file}
          </button>
        ))}
      </div>
      {problem && (
        <div className="field-error block" data-testid="download-problem">
          {problem}
        </div>
      )}
    </div>
  );
}
