/**
 * The one way the store calls the app service: mark what is busy, call, clear the mark, and turn a
 * failure into a notice naming what failed. Resolves to undefined on failure, so no screen goes blank.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { AppActions, AppState } from './appStore';

export type Busy = AppState['busy'];
type Get = () => AppState & AppActions;
export type StoreGet = Get;
export type StoreSet = StoreApi<AppState & AppActions>['setState'];
type Set = (partial: (state: AppState & AppActions) => Partial<AppState>) => void;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type Request = <T, K extends keyof Busy = never>(
  what: string,
  call: () => Promise<T>,
  busy?: { key: K; value: NonNullable<Busy[K]> },
) => Promise<T | undefined>;

export function makeRequest(set: Set, get: Get): Request {
  return async (what, call, busy) => {
    if (busy) set((s) => ({ busy: { ...s.busy, [busy.key]: busy.value } }));
    try {
      return await call();
    } catch (error) {
      get().notify('error', `${what}: ${errorText(error)}`);
      return undefined;
    } finally {
      if (busy) set((s) => ({ busy: { ...s.busy, [busy.key]: undefined } }));
    }
  };
}
