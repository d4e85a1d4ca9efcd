/**
 * Experiment bundles in the UI (exported through the Export menu): an Import form, and a drop of a
 * `.segnas` file anywhere on the window, which opens the bundled experiment (read-only).
 */
import { useEffect, useState } from 'react';
import { BUNDLE_EXTENSION } from '../../main/api';
import { useApi, useApp } from '../context';

function useImport() {
  const api = useApi();
  const notify = useApp((s) => s.notify);
  const refresh = useApp((s) => s.refreshExperiments);
  const open = useApp((s) => s.openExperiment);
  return async (path: string | undefined) => {
    if (!path) return;
    try {
      const s = await api.importBundle({ path });
      notify(
        'info',
        `Imported "${s.name}" as experiment ${s.experimentId} (${s.candidates} candidates, read-only)`,
      );
      await refresh();
      await open(s.experimentId);
    } catch (e) {
      notify('error', `Cannot import the bundle: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

/** A bundle dropped anywhere is imported; other drops go on to their targets (the dataset drop zone). */
export function useBundleDrop(): void {
  const api = useApi();
  const importPath = useImport();
  const notify = useApp((s) => s.notify);
  useEffect(() => {
    const isBundle = (data: DataTransfer | null) =>
      !!data && [...data.files].some((f) => f.name.toLowerCase().endsWith(BUNDLE_EXTENSION));
    const onDrop = (e: DragEvent) => {
      if (!isBundle(e.dataTransfer)) return;
      e.preventDefault();
      e.stopPropagation();
      const data = e.dataTransfer as DataTransfer;
      void api
        .datasetFromDrop(data)
        .then(importPath, (err: unknown) => notify('error', `Cannot import the bundle: ${String(err)}`));
    };
    const onDragOver = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    window.addEventListener('drop', onDrop, true);
    window.addEventListener('dragover', onDragOver);
    return () => {
      window.removeEventListener('drop', onDrop, true);
      window.removeEventListener('dragover', onDragOver);
    };
  }, [api, importPath, notify]);
}

export function ImportBundleForm() {
  const importPath = useImport();
  const [path, setPath] = useState('');
  return (
    <form
      className="path-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) void importPath(path.trim()).then(() => setPath(''));
      }}
    >
      <input
        data-testid="import-bundle-path"
        placeholder={`Import a bundle: drop a ${BUNDLE_EXTENSION} file on the window, or type its path`}
        value={path}
        onChange={(e) => setPath(e.target.value)}
      />
      <button type="submit">Import</button>
    </form>
  );
}
