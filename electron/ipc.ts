/**
 * IPC between the window, the main process and the engine host, and the checks on it. Pure, so the
 * rules are unit-tested without Electron: a request must come from the app's own top-level page and
 * name a contract method with a payload that fits its schema.
 */
import {
  ApiError,
  type ApiMethod,
  type ApiResult,
  describeZodError,
  isApiMethod,
  requestSchema,
  settle,
  toErrorBody,
} from '../main/api';

export const CHANNEL_INVOKE = 'segnas:invoke';
export const CHANNEL_EVENT = 'segnas:event';
export const CHANNEL_CHOOSE_FOLDER = 'segnas:choose-folder';
export const CHANNEL_MENU = 'segnas:menu';

/** A request the main process refuses before it reaches the engine; a bad request like any other. */
export class IpcRejected extends ApiError {
  constructor(message: string, field?: string) {
    super('bad-request', message, field);
    this.name = 'IpcRejected';
  }
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
  const result = requestSchema(method).safeParse(payload);
  if (!result.success)
    throw new IpcRejected(
      describeZodError(method, result.error),
      result.error.issues[0]?.path.join('.') || undefined,
    );
  return { method, payload: result.data };
}

/** Messages between the main process and the engine host (utilityProcess); answers are ApiResults. */
export type HostRequest = { kind: 'request'; id: number; method: ApiMethod; payload: unknown };
export type HostMessage =
  | { kind: 'ready' }
  | ({ kind: 'response'; id: number } & ApiResult)
  | { kind: 'event'; event: unknown };

/** The engine host's answer to one request: the engine's value, or its error with code and field. */
export async function answerHostRequest(
  engine: { handle(method: string, payload: unknown): Promise<unknown> },
  request: HostRequest,
): Promise<HostMessage> {
  return {
    kind: 'response',
    id: request.id,
    ...(await settle(() => engine.handle(request.method, request.payload))),
  };
}

/**
 * The main process's answer to an invoke from the window. Never throws: Electron would prefix a thrown
 * error with "Error invoking remote method…" and drop its code, so refusals travel as results too.
 */
export async function answerInvoke(
  trusted: boolean,
  method: unknown,
  payload: unknown,
  callEngine: (method: ApiMethod, payload: unknown) => Promise<ApiResult>,
): Promise<ApiResult> {
  if (!trusted)
    return { ok: false, error: { code: 'bad-request', message: 'Request from an untrusted frame refused' } };
  let checked: { method: ApiMethod; payload: unknown };
  try {
    checked = validateInvoke(method, payload);
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
  return callEngine(checked.method, checked.payload);
}

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
