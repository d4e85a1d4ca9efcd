/**
 * Apply runs started from the UI: each runs applyModel in the background (its images in one trainer
 * process) and keeps its progress and finished items for polling, and the files of its items for the
 * viewer. Runs live as long as the engine; their files stay in the output folder. Cancelling a run, or
 * closing the engine, kills its trainer.
 */
import type { DicomOptions } from '../data/dicom';
import { readModelJson } from '../train/modelJson';
import { applyModel } from './applyModel';
import type { ApplyItem, ApplyStatus } from './applyTypes';
import type { PredictorOptions } from './predictVolumes';

export interface ApplyRunRequest {
  modelDir: string;
  inputs: string[];
  outDir: string;
  dicom?: DicomOptions;
  predictor?: Omit<PredictorOptions, 'engine'>;
}

export class ApplyRuns {
  private readonly runs = new Map<number, ApplyStatus>();
  /** Runs still going: their abort and the promise that settles when they have ended. */
  private readonly going = new Map<number, { abort: AbortController; ended: Promise<void> }>();
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
    // The labels it will write, shown before the first image is done (a folder without model.json
    // fails in applyModel, which reports why).
    readModelJson(req.modelDir).then(
      (m) => {
        status.labels = m.labels.values.map((value, k) => ({
          value,
          name: m.labels.names[k] ?? String(value),
        }));
      },
      () => undefined,
    );
    const abort = new AbortController();
    const ended = applyModel(
      {
        modelDir: req.modelDir,
        inputs: req.inputs,
        outDir: req.outDir,
        dicom: req.dicom,
        predictor: req.predictor,
        signal: abort.signal,
      },
      (p) => {
        status.progress = p;
        if (p.item) status.items.push(p.item);
      },
    )
      .then(
        (result) => {
          status.summaryPath = result.summaryPath;
        },
        (error: unknown) => {
          status.error = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        status.finished = true;
        this.going.delete(runId);
      });
    this.going.set(runId, { abort, ended });
    return runId;
  }

  /** Stops a run (its trainer is killed); resolves once it has ended. False when it is not running. */
  async cancel(runId: number): Promise<boolean> {
    const run = this.going.get(runId);
    if (!run) return false;
    run.abort.abort();
    await run.ended;
    return true;
  }

  /** Cancels every run still going, for the engine's shutdown. */
  async close(): Promise<void> {
    await Promise.all([...this.going.keys()].map((id) => this.cancel(id)));
  }

  status(runId: number): ApplyStatus | undefined {
    const s = this.runs.get(runId);
    return s && { ...s, items: [...s.items] };
  }

  /** One finished item of a run. */
  item(runId: number, id: string): ApplyItem | undefined {
    return this.runs.get(runId)?.items.find((i) => i.id === id);
  }

  /** The image or segmentation file of one finished item, for the viewer. */
  file(runId: number, id: string, which: 'image' | 'result'): string | undefined {
    const item = this.runs.get(runId)?.items.find((i) => i.id === id);
    return item && (which === 'image' ? item.imagePath : item.outPath);
  }
}
