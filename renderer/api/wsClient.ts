/**
 * The contract over web mode's WebSocket: same methods as the Electron bridge, so the UI never knows
 * which it talks to. Reconnects after a dropped connection; requests in flight then fail readably.
 */
import {
  API_METHODS,
  ApiError,
  type ApiMethod,
  decodeWire,
  encodeWire,
  type SearchEvent,
  type SegnasBridge,
  searchEventSchema,
  unwrapResult,
  type WireMessage,
} from '../../main/api';
import { collectDrop, collectInput, type DroppedFile } from './drop';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type OnProgress = (done: number, total: number) => void;

/** Lets the user pick a folder with the browser's chooser; resolves to its files, empty when cancelled. */
function chooseFolderFiles(): Promise<DroppedFile[]> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    // Non-standard attribute that makes the chooser pick folders.
    input.setAttribute('webkitdirectory', '');
    input.addEventListener('change', () => resolve(input.files ? collectInput(input.files) : []));
    input.addEventListener('cancel', () => resolve([]));
    input.click();
  });
}

export function connectWebSocket(baseUrl: string, token: string | undefined): SegnasBridge {
  const listeners = new Set<(event: SearchEvent) => void>();
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | undefined;
  let retry = 0;

  const wsUrl = new URL('/ws', baseUrl);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) wsUrl.searchParams.set('token', token);

  const open = () => {
    const ws = new WebSocket(wsUrl);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (msg) => {
      const data = decodeWire(String(msg.data)) as WireMessage;
      if (data.kind === 'event') {
        const checked = searchEventSchema.safeParse(data.event);
        if (checked.success) for (const l of listeners) l(checked.data);
        return;
      }
      const p = pending.get(data.id);
      if (!p) return;
      pending.delete(data.id);
      try {
        p.resolve(unwrapResult(data));
      } catch (error) {
        p.reject(error as Error);
      }
    };
    ws.onclose = () => {
      for (const p of pending.values())
        p.reject(
          new ApiError(
            'unavailable',
            'The connection to the SegNAS engine was lost; reconnecting. Try again in a moment.',
          ),
        );
      pending.clear();
      retry = Math.min(retry + 1, 6);
      setTimeout(open, 250 * 2 ** retry);
    };
  };
  open();

  const call = (method: ApiMethod, payload?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const text = encodeWire({ id, method, payload });
      if (socket?.readyState === WebSocket.OPEN) socket.send(text);
      else queue.push(text);
    });

  const methods = Object.fromEntries(API_METHODS.map((m) => [m, (payload?: unknown) => call(m, payload)]));

  /** Uploads files (with their relative paths) and resolves to the server-side folder. */
  const upload = async (files: DroppedFile[], onProgress?: OnProgress): Promise<string> => {
    const session = crypto.randomUUID().replaceAll('-', '');
    let root = '';
    let done = 0;
    for (const { path, file } of files) {
      const url = new URL('/api/upload', baseUrl);
      url.searchParams.set('session', session);
      url.searchParams.set('path', path);
      const res = await fetch(url, {
        method: 'POST',
        body: file,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      const body = (await res.json()) as { root?: string; error?: string };
      if (!res.ok || !body.root)
        throw new ApiError('failed', `Upload of ${path} failed: ${body.error ?? res.statusText}`);
      root = body.root;
      onProgress?.(++done, files.length);
    }
    return root;
  };

  return {
    ...(methods as unknown as SegnasBridge),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onMenuCommand: () => () => {},
    async pickDatasetFolder(onProgress) {
      const files = await chooseFolderFiles();
      return files.length === 0 ? undefined : upload(files, onProgress);
    },
    async datasetFromDrop(data, onProgress) {
      const files = await collectDrop(data.items);
      if (files.length === 0) throw new ApiError('bad-request', 'Nothing to upload: the drop held no files.');
      return upload(files, onProgress);
    },
  };
}
