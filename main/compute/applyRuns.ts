/**
 * Apply runs started from the UI: each runs applyModel in the background and keeps its progress and
 * finished items for polling, and the files of its items for the viewer. Runs live as long as the
 * engine; their files stay in the output folder.
 */
import type { DicomOptions } from '../data/dicom';
import { applyModel } from './applyModel';
import type { ApplyStatus } from './applyTypes';

export interface ApplyRunRequest {
  modelDir: string;
  inputs: string[];
  outDir: string;
  dicom?: DicomOptions;
}

export class ApplyRuns {
  private readonly runs = new Map<number, ApplyStatus>();
  private next = 1;

  start(req: ApplyRunRequest): number {
    const runId = this.next++;
    const status: ApplyStatus = {
      runId,
      modelDir: req.modelDir,
      outDir: req.outDir,
      progress: { phase: 'reading', done: 0, total: 0 },
      items: [],
      finished: false,
    };
    this.runs.set(runId, status);
    void applyModel(
      { modelDir: req.modelDir, inputs: req.inputs, outDir: req.outDir, dicom: req.dicom },
      (p) => {
        status.progress = p;
        if (p.item) status.items.push(p.item);
      },
    ).then(
      (result) => {
        status.finished = true;
        status.summaryPath = result.summaryPath;
      },
      (error: unknown) => {
        status.finished = true;
        status.error = error instanceof Error ? error.message : String(error);
      },
    );
    return runId;
  }

  status(runId: number): ApplyStatus | undefined {
    const s = this.runs.get(runId);
    return s && { ...s, items: [...s.items] };
  }

  /** The image or segmentation file of one finished item, for the viewer. */
  file(runId: number, id: string, which: 'image' | 'result'): string | undefined {
    const item = this.runs.get(runId)?.items.find((i) => i.id === id);
    return item && (which === 'image' ? item.imagePath : item.outPath);
  }
}
