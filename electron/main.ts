/**
 * The Electron main process: one secure window, native menus and dialogs, and the IPC that forwards
 * validated contract calls to the engine host (a utilityProcess). Never imports the engine itself.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ApiMethod, ApiResult, MenuCommand } from '../main/api';
import type { BrowserWindow, ElectronMain, UtilityProcess } from './electronTypes';
import { engineDownMessage, onEngineCrash } from './engineRestart';
import {
  answerInvoke,
  CHANNEL_CHOOSE_FOLDER,
  CHANNEL_EVENT,
  CHANNEL_INVOKE,
  CHANNEL_MENU,
  type HostMessage,
  isAllowedNavigation,
  isTrustedSender,
} from './ipc';
import { CONTENT_SECURITY_POLICY, secureWebPreferences } from './security';

const {
  app,
  BrowserWindow: Window,
  Menu,
  dialog,
  ipcMain,
  session,
  shell,
  utilityProcess,
} = require('electron') as ElectronMain;

// Built layout (scripts/build.mjs): dist-electron/{main,preload}.cjs, the engine in dist-engine/, the UI in
// dist/renderer.
const INDEX_HTML = join(__dirname, '../dist/renderer/index.html');
const INDEX_URL = pathToFileURL(INDEX_HTML).href;

let window: BrowserWindow | undefined;
let host: UtilityProcess | undefined;
let nextId = 1;
/** Times of recent engine crashes (engineRestart.ts). */
const engineCrashes: number[] = [];
const pending = new Map<number, (result: ApiResult) => void>();

/** Only an explicit $SEGNAS_WORKSPACE is passed on; otherwise the engine host picks the CLI's default. */
function workspaceArgs(): string[] {
  const explicit = process.env.SEGNAS_WORKSPACE;
  return explicit ? [explicit] : [];
}

/**
 * The installed app runs the engine host as a utilityProcess: `npm run dist` rebuilt better-sqlite3 for
 * Electron's Node. A checkout's better-sqlite3 is built for the Node that ran `npm ci`, so `npm start`
 * names that Node in SEGNAS_ENGINE_NODE and the host is forked under it, behind the same interface.
 */
function forkEngineHost(entry: string, args: string[]): UtilityProcess {
  const node = process.env.SEGNAS_ENGINE_NODE;
  if (app.isPackaged || !node) return utilityProcess.fork(entry, args, { serviceName: 'SegNAS engine' });
  const child = fork(entry, args, { execPath: node, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    postMessage: (message) => void child.send(message as object),
    on: ((event: 'message' | 'exit', listener: (value: unknown) => void) => {
      // A host killed by a signal has no exit code: for the restart logic that is a crash.
      if (event === 'exit') child.on('exit', (code) => listener(code ?? 1));
      else child.on('message', listener);
    }) as UtilityProcess['on'],
    kill: () => child.kill(),
  };
}

function startEngineHost(): void {
  host = forkEngineHost(join(__dirname, '../dist-engine/engineHost.mjs'), workspaceArgs());
  host.on('message', (raw) => {
    const message = raw as HostMessage;
    if (message.kind === 'event') window?.webContents.send(CHANNEL_EVENT, message.event);
    else if (message.kind === 'response') {
      const { kind: _kind, id, ...result } = message;
      pending.get(id)?.(result);
      pending.delete(id);
    }
  });
  host.on('exit', (code) => {
    for (const answer of pending.values())
      answer({
        ok: false,
        error: { code: 'unavailable', message: `The engine stopped (exit code ${code}); it is restarting.` },
      });
    pending.clear();
    // A crashed engine comes back, more slowly each time; the store keeps everything, interrupted
    // searches can be resumed. One that keeps crashing stays down, and the user is told.
    host = undefined;
    if (code === 0) return;
    const decision = onEngineCrash(engineCrashes, Date.now());
    if (decision.restart) setTimeout(startEngineHost, decision.delayMs);
    else dialog.showErrorBox('SegNAS engine stopped', engineDownMessage(decision.crashes));
  });
}

function callEngine(method: ApiMethod, payload: unknown): Promise<ApiResult> {
  return new Promise((resolve) => {
    if (!host)
      return resolve({ ok: false, error: { code: 'unavailable', message: 'The engine is not running' } });
    const id = nextId++;
    pending.set(id, resolve);
    host.postMessage({ kind: 'request', id, method, payload });
  });
}

function registerIpc(): void {
  ipcMain.handle(CHANNEL_INVOKE, (event, method, payload) => {
    const frame = event.senderFrame;
    const trusted = isTrustedSender(frame?.url, frame !== null && frame.top === frame, INDEX_URL);
    return answerInvoke(trusted, method, payload, callEngine);
  });
  ipcMain.handle(CHANNEL_CHOOSE_FOLDER, async (event) => {
    const frame = event.senderFrame;
    if (!window || !isTrustedSender(frame?.url, frame !== null && frame.top === frame, INDEX_URL))
      return undefined;
    const result = await dialog.showOpenDialog(window, {
      title: 'Open a dataset folder',
      properties: ['openDirectory'],
    });
    return result.canceled ? undefined : result.filePaths[0];
  });
}

function buildMenu(): void {
  const send = (command: 'demo' | 'open') => async () => {
    if (!window) return;
    if (command === 'demo')
      return window.webContents.send(CHANNEL_MENU, { kind: 'demo-data' } satisfies MenuCommand);
    const result = await dialog.showOpenDialog(window, {
      title: 'Open a dataset folder',
      properties: ['openDirectory'],
    });
    if (!result.canceled)
      window.webContents.send(CHANNEL_MENU, {
        kind: 'open-dataset',
        path: result.filePaths[0],
      } satisfies MenuCommand);
  };
  const isMac = process.platform === 'darwin';
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(isMac ? [{ role: 'appMenu' }] : []),
      {
        label: 'File',
        submenu: [
          { label: 'Open Dataset Folder…', accelerator: 'CmdOrCtrl+O', click: send('open') },
          { label: 'Generate Demo Data', click: send('demo') },
          { type: 'separator' },
          { role: isMac ? 'close' : 'quit' },
        ],
      },
      { role: 'editMenu' },
      {
        label: 'View',
        submenu: [
          { role: 'reload' },
          ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' }]),
          { type: 'separator' },
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { role: 'togglefullscreen' },
        ],
      },
      { role: 'windowMenu' },
      {
        label: 'Help',
        submenu: [
          {
            label: 'SegNAS3D paper (arXiv)',
            click: () => void shell.openExternal('https://arxiv.org/abs/1909.05962'),
          },
        ],
      },
    ]),
  );
}

function hardenContents(): void {
  // Every page (including any that slipped through) gets the CSP header and no navigation/new windows.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAllowedNavigation(url, INDEX_URL)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAllowedNavigation(url, INDEX_URL)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

function createWindow(): void {
  window = new Window({
    width: 1480,
    height: 960,
    minWidth: 1000,
    minHeight: 700,
    show: false,
    backgroundColor: '#0d1017',
    title: 'SegNAS Studio',
    webPreferences: secureWebPreferences(join(__dirname, 'preload.cjs')),
  });
  window.once('ready-to-show', () => window?.show());
  window.on('closed', () => {
    window = undefined;
  });
  void window.loadFile(INDEX_HTML);
}

app.whenReady().then(() => {
  hardenContents();
  registerIpc();
  startEngineHost();
  buildMenu();
  createWindow();
});
app.on('activate', () => {
  if (!window) createWindow();
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', () => {
  host?.kill();
});
