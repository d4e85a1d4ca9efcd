/**
 * Web mode's export downloads (GET /api/export?kind=&experimentId=): the same files the desktop app
 * writes (the bundle, the report folder, the kept models), made by the app service and streamed to the
 * browser as one file each. The report and the models are zipped here; the bundle already is a zip.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import {
  ApiError,
  type BundleSummary,
  type ExperimentDetail,
  type ExperimentSummary,
  type ExportResult,
  MODEL_DOWNLOADS,
  type ModelFileData,
  toErrorBody,
} from '../api';
import { EXPORT_KINDS, type ExportKind } from '../core/exportDownloads';
import type { Engine } from '../engine';

/** The report's own files in an export folder (the models and predictions beside them are left out). */
const REPORT_FILES = new Set(['summary.md', 'report.json', 'candidates.csv']);

const STATUS_OF: Record<string, number> = { 'bad-request': 400, 'not-found': 404, unavailable: 503 };

function parseQuery(url: URL): { kind: ExportKind; experimentId: number } {
  const kind = url.searchParams.get('kind');
  const id = Number(url.searchParams.get('experimentId'));
  if (!EXPORT_KINDS.includes(kind as ExportKind))
    throw new ApiError(
      'bad-request',
      `kind must be one of ${EXPORT_KINDS.join(', ')}, got "${kind}"`,
      'kind',
    );
  if (!Number.isInteger(id) || id < 1)
    throw new ApiError('bad-request', 'experimentId must be a positive integer', 'experimentId');
  return { kind: kind as ExportKind, experimentId: id };
}

function attachment(res: ServerResponse, name: string, bytes: number): void {
  res.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Length': bytes,
    // The name is ours (experiment name sanitised by the app service), but quote-safe all the same.
    'Content-Disposition': `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"`,
    'Cache-Control': 'no-store',
  });
}

async function reportZip(engine: Engine, experimentId: number): Promise<Uint8Array> {
  const result = (await engine.handle('exportExperiment', { experimentId })) as ExportResult;
  const entries: Record<string, Uint8Array> = {};
  for (const file of result.files.filter((f) => REPORT_FILES.has(basename(f))))
    entries[`report/${basename(file)}`] = await readFile(file);
  return zipSync(entries, { level: 6 });
}

async function modelsZip(engine: Engine, experimentId: number): Promise<Uint8Array> {
  const detail = (await engine.handle('getExperiment', { experimentId })) as ExperimentDetail;
  if (detail.keptModels.length === 0)
    throw new ApiError(
      'not-found',
      `experiment ${experimentId} has no kept model yet: test the top candidates or retrain one first`,
    );
  const entries: Record<string, Uint8Array> = {
    'models/README.txt': strToU8(
      'One folder per kept candidate: model.onnx and the preprocessing it expects.\n',
    ),
  };
  for (const seq of detail.keptModels)
    for (const file of MODEL_DOWNLOADS) {
      const data = (await engine.handle('readModelFile', { experimentId, seq, file })) as ModelFileData;
      entries[`models/${seq}/${file}`] = data.bytes;
    }
  // ONNX weights barely compress.
  return zipSync(entries, { level: 0 });
}

/** Answers one export download; a failure is a plain-text status naming what to do, never a crash. */
export async function handleExportDownload(engine: Engine, url: URL, res: ServerResponse): Promise<void> {
  try {
    const { kind, experimentId } = parseQuery(url);
    // The writers below would fail on an unknown id as an internal error: it is the request's fault.
    const known = (await engine.handle('listExperiments', undefined)) as ExperimentSummary[];
    if (!known.some((e) => e.id === experimentId))
      throw new ApiError(
        'not-found',
        `There is no experiment ${experimentId} in this workspace`,
        'experimentId',
      );
    if (kind === 'bundle') {
      const bundle = (await engine.handle('bundleExperiment', { experimentId })) as BundleSummary;
      attachment(res, basename(bundle.file), (await stat(bundle.file)).size);
      createReadStream(bundle.file)
        .on('error', () => res.destroy())
        .pipe(res);
      return;
    }
    const bytes =
      kind === 'report' ? await reportZip(engine, experimentId) : await modelsZip(engine, experimentId);
    attachment(res, `experiment-${experimentId}-${kind}.zip`, bytes.byteLength);
    res.end(bytes);
  } catch (error) {
    const body = toErrorBody(error);
    if (res.headersSent) return void res.destroy();
    res.writeHead(STATUS_OF[body.code] ?? 500, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(body.message);
  }
}
