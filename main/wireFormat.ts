/**
 * The wire format of the contract's calls and events: the WebSocket of web mode, and IPC between the
 * Electron main process and the host. One JSON text a message; byte arrays travel as base64. Part of the
 * contract (main/api.ts re-exports it), so it must stay free of Node APIs (Buffer is used when present).
 */
import { z } from 'zod';
import type { ApiMethod, ApiResult } from './api';
import type { SearchEvent } from './search/events';

export interface WireRequest {
  id: number;
  method: ApiMethod;
  payload?: unknown;
}

export type WireMessage =
  | ({ kind: 'response'; id: number } & ApiResult)
  | { kind: 'event'; event: SearchEvent };

export const wireRequestSchema = z
  .object({ id: z.number().int().nonnegative(), method: z.string().max(64), payload: z.unknown().optional() })
  .strict();

/**
 * Serialises a wire message; byte arrays (volumes) travel as base64 so JSON stays the one format.
 * Bytes sit near the top of a message (a VolumeData result): only messages that hold some pay for a
 * replacer, so a 10,000-candidate experiment is stringified (and parsed) at JSON's native speed.
 */
export function encodeWire(message: WireMessage | WireRequest): string {
  if (!holdsBytes(message, 4)) return JSON.stringify(message);
  return JSON.stringify(message, (_key, value) =>
    value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value,
  );
}

export function decodeWire(text: string): unknown {
  if (!text.includes('{"$bytes":')) return JSON.parse(text);
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && typeof value.$bytes === 'string' && Object.keys(value).length === 1
      ? base64ToBytes(value.$bytes)
      : value,
  );
}

/** True when a Uint8Array sits within `depth` levels of plain objects (arrays are not searched). */
function holdsBytes(value: unknown, depth: number): boolean {
  if (value instanceof Uint8Array) return true;
  if (depth === 0 || !value || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const key in value) if (holdsBytes((value as Record<string, unknown>)[key], depth - 1)) return true;
  return false;
}

type BufferLike = {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(enc: string): string };
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
