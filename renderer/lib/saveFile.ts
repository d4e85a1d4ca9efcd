/** Hands a blob to the browser's (or Electron's) download, under `name`. */
export function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has its own reference to the blob once started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name a Content-Disposition header gives, else `fallback`. */
export function attachmentName(header: string | null, fallback: string): string {
  const m = header ? /filename="([^"]+)"/.exec(header) : null;
  return m?.[1] ?? fallback;
}

/**
 * Fetches a download from web mode's server (same origin, the session cookie authorises it) and saves
 * it; a refusal throws the server's message, which names what to do.
 */
export async function downloadFromServer(url: string, fallback: string): Promise<string> {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error((await res.text()) || `the server answered ${res.status}`);
  const name = attachmentName(res.headers.get('Content-Disposition'), fallback);
  saveBlob(name, await res.blob());
  return name;
}
