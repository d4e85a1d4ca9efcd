/**
 * The few Electron APIs the shell uses, typed locally. Electron is an optional dependency that is not
 * installed everywhere (e.g. CI), so the shell reaches it with `require('electron')` (the build emits
 * CommonJS) cast to these types, and typechecks with or without the package.
 */

export interface WebContents {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: { preventDefault(): void }, url: string) => void,
  ): void;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  isDestroyed(): boolean;
}

export interface BrowserWindow {
  webContents: WebContents;
  loadFile(path: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
  show(): void;
}

export interface WebFrameMain {
  url: string;
  top: WebFrameMain | null;
}

export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
}

export interface UtilityProcess {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  kill(): boolean;
}

export interface OpenDialogResult {
  canceled: boolean;
  filePaths: string[];
}

export interface MenuItemOptions {
  label?: string;
  role?: string;
  type?: 'separator' | 'normal';
  accelerator?: string;
  click?: () => void;
  submenu?: MenuItemOptions[];
}

export interface ElectronMain {
  app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'before-quit' | 'activate', listener: () => void): void;
    on(event: 'web-contents-created', listener: (event: unknown, contents: WebContents) => void): void;
    quit(): void;
    getPath(name: 'userData'): string;
    getVersion(): string;
    isPackaged: boolean;
    setAboutPanelOptions?(options: Record<string, string>): void;
    showAboutPanel?(): void;
  };
  BrowserWindow: new (options: Record<string, unknown>) => BrowserWindow;
  ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  };
  utilityProcess: {
    fork(
      modulePath: string,
      args?: string[],
      options?: { serviceName?: string; env?: Record<string, string | undefined> },
    ): UtilityProcess;
  };
  dialog: {
    showOpenDialog(window: BrowserWindow, options: Record<string, unknown>): Promise<OpenDialogResult>;
    showErrorBox(title: string, content: string): void;
  };
  Menu: {
    buildFromTemplate(template: MenuItemOptions[]): unknown;
    setApplicationMenu(menu: unknown): void;
  };
  session: {
    defaultSession: {
      webRequest: {
        onHeadersReceived(
          listener: (
            details: { responseHeaders?: Record<string, string[]> },
            callback: (response: { responseHeaders: Record<string, string[]> }) => void,
          ) => void,
        ): void;
      };
      setPermissionRequestHandler(
        handler: (wc: unknown, permission: string, callback: (ok: boolean) => void) => void,
      ): void;
    };
  };
  shell: { openExternal(url: string): Promise<void> };
}

export interface ElectronRenderer {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  };
  webUtils: { getPathForFile(file: File): string };
}

export interface ParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}
