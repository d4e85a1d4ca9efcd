/** The images to segment: dropped, chosen or typed files, folders and DICOM series folders. */
import { useState } from 'react';
import { useApp } from '../../context';
import { PathForm } from '../PathForm';

export function ApplyInputs() {
  const inputs = useApp((s) => s.applyForm.inputs);
  const setForm = useApp((s) => s.setApplyForm);
  const addInput = useApp((s) => s.addApplyInput);
  const receiveFolder = useApp((s) => s.receiveFolder);
  const busy = useApp((s) => s.busy.apply);
  const [hover, setHover] = useState(false);
  const handOver = async (source: DataTransfer | 'choose') => addInput(await receiveFolder(source, 'apply'));
  return (
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
        void handOver(e.dataTransfer);
      }}
    >
      <div className="drop-title">Drop images, a folder of them, or a folder of DICOM series</div>
      <div className="drop-hint">NIfTI (.nii, .nii.gz) or DICOM; one DICOM series is one image</div>
      <div className="drop-actions">
        <button type="button" onClick={() => handOver('choose')}>
          Choose folder…
        </button>
      </div>
      <PathForm
        testId="apply-input-path"
        placeholder="…or type a file or folder path on the engine's machine"
        action="Add"
        onPath={addInput}
        clear
      />
      {busy && <div className="busy">{busy}</div>}
      {inputs.length > 0 && (
        <ul className="small mono" data-testid="apply-inputs">
          {inputs.map((i) => (
            <li key={i}>
              {i}{' '}
              <button
                type="button"
                className="ghost"
                onClick={() => setForm({ inputs: inputs.filter((x) => x !== i) })}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
