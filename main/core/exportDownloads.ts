/**
 * What an experiment can be exported as, and where web mode serves each as a download: a browser
 * cannot be handed a folder or a file on the engine's disk, so the server writes it and streams it.
 */
export const EXPORT_KINDS = ['report', 'bundle', 'models'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const EXPORT_DOWNLOAD_PATH = '/api/export';

/** The URL path (same origin as the page) of one experiment's export as a download. */
export function exportDownloadUrl(kind: ExportKind, experimentId: number): string {
  return `${EXPORT_DOWNLOAD_PATH}?kind=${kind}&experimentId=${experimentId}`;
}
