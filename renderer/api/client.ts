/**
 * Picks the transport: the Electron preload bridge when present, else web mode's WebSocket. The
 * token of web mode comes from the page URL once, then leaves the address bar (and history).
 */
import type { SegnasBridge, SegnasHostBridge } from '../../main/api';
import { wrapHostBridge } from './hostBridge';
import { connectWebSocket } from './wsClient';

declare global {
  interface Window {
    segnas?: SegnasHostBridge;
  }
}

export function connectApi(): SegnasBridge {
  if (window.segnas) return wrapHostBridge(window.segnas);
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('segnas-token') ?? undefined;
  if (token) sessionStorage.setItem('segnas-token', token);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url);
  }
  return connectWebSocket(window.location.origin, token);
}
