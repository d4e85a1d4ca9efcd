/**
 * IPC between the window, the main process and the engine host, and the checks on it. Pure, so the
 * rules are unit-tested without Electron: a request must come from the app's own top-level page and
 * name a contract method with a payload that fits its schema.
 */
import { type ApiMethod, describeZodError, isApiMethod, requestSchemas } from '../main/api';

export const CHANNEL_INVOKE = 'segnas:invoke';
export const CHANNEL_EVENT = 'segnas:event';
export const CHANNEL_CHOOSE_FOLDER = 'segnas:choose-folder';
export const CHANNEL_MENU = 'segnas:menu';

export class IpcRejected extends Error {
  override name = 'IpcRejected';
}

/** The renderer is loaded from this file URL; nothing else may call the engine. */
export function isTrustedSender(
  frameUrl: string | undefined,
  isTopFrame: boolean,
  appIndexUrl: string,
): boolean {
  if (!frameUrl || !isTopFrame) return false;
  try {
    const url = new URL(frameUrl);
    const app = new URL(appIndexUrl);
    return url.protocol === 'file:' && url.pathname === app.pathname;
  } catch {
    return false;
  }
}

/** Validates an invoke from the window; returns the method and the parsed payload, or throws IpcRejected. */
export function validateInvoke(method: unknown, payload: unknown): { method: ApiMethod; payload: unknown } {
  if (!isApiMethod(method)) throw new IpcRejected(`Unknown method ${JSON.stringify(method)}`);
  const result = requestSchemas[method].safeParse(payload);
  if (!result.success) throw new IpcRejected(describeZodError(method, result.error));
  return { method, payload: result.data };
}

/** Messages between the main process and the engine host (utilityProcess). */
export type HostRequest = { kind: 'request'; id: number; method: ApiMethod; payload: unknown };
export type HostMessage =
  | { kind: 'ready' }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; message: string }
  | { kind: 'event'; event: unknown };

/** Navigation is never allowed away from the app's own page. */
export function isAllowedNavigation(url: string, appIndexUrl: string): boolean {
  try {
    const target = new URL(url);
    const app = new URL(appIndexUrl);
    return target.protocol === 'file:' && target.pathname === app.pathname;
  } catch {
    return false;
  }
}
