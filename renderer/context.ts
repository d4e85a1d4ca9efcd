/** React access to the API client and the app store. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { SegnasBridge } from '../main/api';
import type { AppActions, AppState, AppStore } from './store/appStore';

export const ApiContext = createContext<SegnasBridge | null>(null);
export const StoreContext = createContext<AppStore | null>(null);

export function useApi(): SegnasBridge {
  const api = useContext(ApiContext);
  if (!api) throw new Error('ApiContext missing');
  return api;
}

export function useApp<T>(selector: (state: AppState & AppActions) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext missing');
  return useStore(store, selector);
}
