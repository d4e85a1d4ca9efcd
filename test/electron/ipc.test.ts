/** The IPC rules of the Electron shell: bad payloads, unknown methods and foreign frames are refused. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_CHOOSE_FOLDER,
  CHANNEL_EVENT,
  CHANNEL_INVOKE,
  CHANNEL_MENU,
  IpcRejected,
  isAllowedNavigation,
  isTrustedSender,
  validateInvoke,
} from '../../electron/ipc';
import { CONTENT_SECURITY_POLICY, secureWebPreferences } from '../../electron/security';

const APP = 'file:///opt/SegNAS%20Studio/resources/app.asar/dist/renderer/index.html';

describe('IPC validation', () => {
  it('accepts a well-formed request and returns the parsed payload', () => {
    expect(validateInvoke('openDataset', { path: '/data/Task04' })).toEqual({
      method: 'openDataset',
      payload: { path: '/data/Task04' },
    });
    expect(validateInvoke('getInfo', undefined).method).toBe('getInfo');
  });

  it.each([
    ['unknown method', 'runShell', { cmd: 'rm -rf /' }],
    ['prototype key as method', '__proto__', {}],
    ['missing field', 'openDataset', {}],
    ['wrong type', 'openDataset', { path: 42 }],
    ['extra field', 'openDataset', { path: '/x', evil: true }],
    ['NUL in a path', 'openDataset', { path: '/x\0/etc/passwd' }],
    ['negative experiment id', 'pauseSearch', { experimentId: -1 }],
    ['string experiment id', 'stopSearch', { experimentId: '1' }],
    ['topK out of range', 'evaluateTest', { experimentId: 1, topK: 1000 }],
    ['payload for a method without one', 'listPresets', { anything: 1 }],
    ['volume ref of unknown kind', 'readVolume', { ref: { kind: 'file', path: '/etc/passwd' } }],
    ['bounds with a string', 'validateConfig', { config: { datasetPath: '/d', variant: 'x', space: 'all' } }],
  ])('rejects %s', (_what, method, payload) => {
    expect(() => validateInvoke(method, payload)).toThrow(IpcRejected);
  });

  it('names the offending field in the message', () => {
    expect(() => validateInvoke('openDataset', { path: 42 })).toThrow(/openDataset: path/);
  });

  it('trusts only the app page in the top frame', () => {
    expect(isTrustedSender(APP, true, APP)).toBe(true);
    expect(isTrustedSender(`${APP}#/search`, true, APP)).toBe(true);
    expect(isTrustedSender(APP, false, APP)).toBe(false);
    expect(isTrustedSender('https://evil.example/index.html', true, APP)).toBe(false);
    expect(isTrustedSender('file:///tmp/index.html', true, APP)).toBe(false);
    expect(isTrustedSender(undefined, true, APP)).toBe(false);
  });

  it('blocks navigation away from the app', () => {
    expect(isAllowedNavigation(APP, APP)).toBe(true);
    expect(isAllowedNavigation('https://example.com', APP)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', APP)).toBe(false);
    expect(isAllowedNavigation('not a url', APP)).toBe(false);
  });
});

describe('preload and window settings', () => {
  it('the preload exposes the methods of the contract table, over the channels main listens on', () => {
    const source = readFileSync(new URL('../../electron/preload.ts', import.meta.url), 'utf8');
    for (const channel of [CHANNEL_INVOKE, CHANNEL_EVENT, CHANNEL_CHOOSE_FOLDER, CHANNEL_MENU])
      expect(source).toContain(`'${channel}'`);
    expect(source).toMatch(/API_METHODS\.map\(/);
    expect(source).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\)/);
  });

  it('the window is isolated and sandboxed, and the CSP allows no remote or inline script', () => {
    const prefs = secureWebPreferences('/p.cjs');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    });
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*(unsafe-inline|https?:|\*)/);
  });
});
