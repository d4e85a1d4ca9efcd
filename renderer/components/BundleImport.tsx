/**
 * Experiment bundles in the UI (exported through the Export menu): an Import form, and a drop of a
 * `.segnas` file anywhere on the window, which opens the bundled experiment (read-only).
 */
import { useEffect, useState } from 'react';
import { BUNDLE_EXTENSION } from '../../main/api';
import { useApp } from '../context';

/** A bundle dropped anywhere is imported; other drops go on to their targets (the dataset drop zone). */
export function useBundleDrop(): void {
  const receiveFolder = useApp((s) => s.receiveFolder);
  const importBundle = useApp((s) => s.importBundle);
  useEffect(() => {
    const isBundle = (data: DataTransfer | null) =>
      !!data && [...data.files].some((f) => f.name.toLowerCase().endsWith(BUNDLE_EXTENSION));
    const onDrop = (e: DragEvent) => {
      if (!isBundle(e.dataTransfer)) return;
      e.preventDefault();
      e.stopPropagation();
      void receiveFolder(e.dataTransfer as DataTransfer, 'dataset').then((path) => {
        if (path) return importBundle(path);
      });
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
  }, [receiveFolder, importBundle]);
}

export function ImportBundleForm() {
  const importBundle = useApp((s) => s.importBundle);
  const [path, setPath] = useState('');
  return (
    <form
      className="path-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) void importBundle(path.trim()).then(() => setPath(''));
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
