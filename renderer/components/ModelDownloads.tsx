/**
 * A kept model's files for use outside the app (model.onnx and the preprocessing it expects), offered
 * as downloads from the candidate's details; docs/engines.md shows how to run them.
 */
import { useState } from 'react';
import { ApiError, MODEL_DOWNLOADS, type ModelDownload } from '../../main/api';
import { useApp } from '../context';

/** Hands bytes to the browser (or Electron's) download, under `name`. */
function saveAs(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has its own reference to the blob once started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ModelDownloads(props: { experimentId: number; seq: number }) {
  const readModelFile = useApp((s) => s.readModelFile);
  const [busy, setBusy] = useState<ModelDownload>();
  const [problem, setProblem] = useState<string>();
  const download = async (file: ModelDownload) => {
    setBusy(file);
    setProblem(undefined);
    try {
      const f = await readModelFile(props.experimentId, props.seq, file);
      saveAs(f.name, f.bytes);
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
