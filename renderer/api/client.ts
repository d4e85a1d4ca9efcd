/**
 * Picks the transport: the Electron preload bridge when present, else web mode's WebSocket. The
 * token of web mode comes from the page URL once, then leaves the address bar (and history).
 */
import type { SegnasBridge } from '../../main/api';
import { connectWebSocket, type WebBridge } from './wsClient';

declare global {
  interface Window {
    segnas?: SegnasBridge;
  }
}

export type ClientApi = SegnasBridge & Partial<Pick<WebBridge, 'upload'>>;

export function connectApi(): ClientApi {
  if (window.segnas) return window.segnas;
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('segnas-token') ?? undefined;
  if (token) sessionStorage.setItem('segnas-token', token);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url);
  }
  return connectWebSocket(window.location.origin, token);
}
