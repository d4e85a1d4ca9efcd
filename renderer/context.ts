/** React access to the app store: components read its state and call its actions, never the API. */
import { createContext, useContext, useEffect } from 'react';
import { useStore } from 'zustand';
import type { EngineCheck } from '../main/api';
import type { AppActions, AppState, AppStore } from './store/appStore';

export const StoreContext = createContext<AppStore | null>(null);

export function useApp<T>(selector: (state: AppState & AppActions) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext missing');
  return useStore(store, selector);
}

/** The shared engine check, fetched on first use; undefined until it arrives. */
export function useEngineCheck(): { check?: EngineCheck; error?: string } {
  const shared = useApp((s) => s.engineCheck);
  const refresh = useApp((s) => s.refreshEngineCheck);
  useEffect(() => {
    if (!shared) void refresh();
  }, [shared, refresh]);
  return shared ?? {};
}
