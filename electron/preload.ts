/**
 * The only bridge between the page and the app: exactly the contract's methods (answering ApiResults,
 * so errors keep their code across contextBridge), an event subscription, and the native helpers.
 * No ipcRenderer, no Node, nothing else reaches the page. Built as CommonJS (sandboxed preloads
 * cannot be ES modules).
 */
import { API_METHODS, type MenuCommand, type SearchEvent, type SegnasHostBridge } from '../main/api';
import type { ElectronRenderer } from './electronTypes';

const { contextBridge, ipcRenderer, webUtils } = require('electron') as ElectronRenderer;

// The same strings as ./ipc's CHANNEL_* (a test checks): a sandboxed preload must be one file, so it
// imports nothing at run time that a bundler could split into a shared chunk.
const CHANNEL_INVOKE = 'segnas:invoke';
const CHANNEL_EVENT = 'segnas:event';
const CHANNEL_CHOOSE_FOLDER = 'segnas:choose-folder';
const CHANNEL_MENU = 'segnas:menu';

// The method list is the contract's table, so a method added there reaches the window with no second
// list to keep; the price is zod and the request schemas inlined into this bundle (docs/app.md).
const methods = Object.fromEntries(
  API_METHODS.map((method) => [
    method,
    (payload?: unknown) => ipcRenderer.invoke(CHANNEL_INVOKE, method, payload),
  ]),
);

const bridge: SegnasHostBridge = {
  ...(methods as unknown as Omit<SegnasHostBridge, 'onEvent'>),
  onEvent(listener: (event: SearchEvent) => void) {
    const wrapped = (_event: unknown, payload: unknown) => listener(payload as SearchEvent);
    ipcRenderer.on(CHANNEL_EVENT, wrapped);
    return () => ipcRenderer.removeListener(CHANNEL_EVENT, wrapped);
  },
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  chooseFolder: () => ipcRenderer.invoke(CHANNEL_CHOOSE_FOLDER) as Promise<string | undefined>,
  onMenuCommand(listener: (command: MenuCommand) => void) {
    const wrapped = (_event: unknown, payload: unknown) => listener(payload as MenuCommand);
    ipcRenderer.on(CHANNEL_MENU, wrapped);
    return () => ipcRenderer.removeListener(CHANNEL_MENU, wrapped);
  },
};

contextBridge.exposeInMainWorld('segnas', bridge);
