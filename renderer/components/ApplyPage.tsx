/**
 * Apply a found network to new images: choose a trained candidate (or an exported model folder), hand
 * over images, folders or DICOM series folders, watch the batch run, and look at each segmentation on
 * its image. The segmentations and a summary table are written to the output folder as they finish.
 */
import { useApp } from '../context';
import { ApplyInputs } from './apply/ApplyInputs';
import { ApplyModelCard } from './apply/ApplyModelCard';
import { ApplyResults } from './apply/ApplyResults';
import { ApplyControls, ApplyLabelsAndWarnings, ApplyProgress } from './apply/ApplyRunBar';

export function ApplyPage() {
  const run = useApp((s) => s.applyRun);
  return (
    <section className="panel" data-testid="apply-page">
      <div className="section-header">
        <h2>Apply a network to new images</h2>
      </div>
      <div className="detail-grid">
        <ApplyModelCard />
        <ApplyInputs />
      </div>
      <ApplyControls />
      {run?.status && (
        <>
          <ApplyProgress status={run.status} />
          <ApplyLabelsAndWarnings status={run.status} />
          <ApplyResults runId={run.runId} status={run.status} shown={run.shown} />
        </>
      )}
    </section>
  );
}
