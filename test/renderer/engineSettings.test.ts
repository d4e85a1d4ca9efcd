/**
 * The training-engine calls of the contract (getEngineSettings, checkEngines, setPython) against the real
 * engine, through both bridges: what the setup page's "Check" shows, and which interpreter paths the
 * engine refuses to run (docs/engines.md, "The interpreter from the UI").
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API } from '../../main/api';
import type { Engine } from '../../main/engine';
import { serveWorkspace } from '../../main/server/serve';
import type { WebServer } from '../../main/server/webServer';
import { torchPython } from '../compute/helpers/torchPython';
import {
  electronBridge,
  rejection,
  throughBothBridges,
  webBridge,
  withEngineAndServer,
} from './helpers/bridges';

let workspace: string;
let outside: string;
let engine: Engine;
let server: WebServer;

/** A file outside the workspace named like an interpreter, with this content and mode. */
function interpreterFile(dir: string, name: string, content: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

withEngineAndServer((started) => {
  ({ workspace, engine, server } = started);
});
beforeAll(() => {
  outside = mkdtempSync(join(tmpdir(), 'segnas-interpreters-'));
});
afterAll(() => rmSync(outside, { recursive: true, force: true }));

throughBothBridges(
  () => engine,
  () => server,
  (connect) => {
    it('says no interpreter is set and that this engine accepts one from its UI', async () => {
      const settings = await connect().getEngineSettings();
      expect(settings).toMatchObject({ python: null, canSetPython: true });
    });

    it('refuses to run or save anything but an installed Python interpreter, naming why', async () => {
      const api = connect();
      const cases: [string, RegExp][] = [
        ['python3', /absolute path/],
        ['/bin/sh', /not a Python interpreter's name/],
        [join(outside, 'nothing', 'python3'), /no such file/],
        [interpreterFile(outside, 'python3.99', '#!/bin/sh\n', 0o644), /not executable/],
        [interpreterFile(outside, 'python3.98', '#!/bin/sh\n', 0o777), /writable by other users/],
        // web mode writes uploads into the workspace: a file there is never run
        [interpreterFile(workspace, 'python3', '#!/bin/sh\n', 0o755), /inside the workspace/],
      ];
      for (const [path, why] of cases) {
        // One call at a time: a second promise made up front could reject before anything awaits it.
        for (const call of [
          () => api.setPython({ python: path }),
          () => api.checkEngines({ python: path }),
        ]) {
          const error = await rejection(call());
          expect(error.code, path).toBe('bad-request');
          expect(error.field).toBe('python');
          expect(error.message).toMatch(why);
        }
      }
      expect((await api.getEngineSettings()).python).toBeNull();
    });
  },
);

describe('the interpreter setting', () => {
  it('checks an interpreter as segnas devices does, saves it in the workspace, and shows it through both bridges', async () => {
    await torchPython(); // these checks need a Python with torch: fail with how to install it
    const web = webBridge(server);
    const electron = electronBridge(engine);
    // A real Python that cannot import torch (-S: no site-packages), named as an interpreter.
    const noTorch = interpreterFile(outside, 'python3', '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', 0o755);
    const check = await web.checkEngines({ python: noTorch });
    const first = check.devices[0];
    expect(first).toMatchObject({ engine: 'pytorch', kind: 'python', name: noTorch, usable: false });
    expect(first.problem).toMatch(/has no usable torch/);
    expect(first.fix).toBe(`${noTorch} -m pip install torch (or apt-get install python3-torch)`);
    expect(check.devices).toContainEqual(
      expect.objectContaining({ engine: 'tfjs', kind: 'wasm', usable: true }),
    );
    // the other interpreters are still found: a CPU-only torch here, so auto keeps TensorFlow.js
    expect(check.devices).toContainEqual(
      expect.objectContaining({ engine: 'pytorch', kind: 'cpu', usable: true }),
    );
    expect(check.auto.engine).toBe('tfjs');
    expect(check.auto.why).toMatch(/sees no CUDA or MPS device/);
    // usable and unusable reports alike fit the contract's schema, every field kept (test/api/responses.test.ts)
    expect(API.checkEngines.response.parse(check)).toEqual(check);

    const saved = await web.setPython({ python: noTorch });
    expect(saved.python).toBe(noTorch);
    expect(JSON.parse(readFileSync(join(workspace, 'settings.json'), 'utf8'))).toEqual({ python: noTorch });
    expect((await electron.getEngineSettings()).python).toBe(noTorch);
    // a program that is not Python is not saved even with an interpreter's name
    const fake = interpreterFile(outside, 'python', '#!/bin/sh\necho hello\n', 0o755);
    const error = await rejection(electron.setPython({ python: fake }));
    expect(error.message).toMatch(/could not run the probe/);
    expect((await web.getEngineSettings()).python).toBe(noTorch);

    expect((await electron.setPython({ python: null })).python).toBeNull();
    expect(JSON.parse(readFileSync(join(workspace, 'settings.json'), 'utf8'))).toEqual({});
  }, 120_000);

  it('is refused by a web server other machines can reach, with the reason shown to the UI', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'segnas-engine-locked-'));
    const web = await serveWorkspace({ workspace: ws, host: '0.0.0.0', port: 0, staticDir: ws });
    try {
      const settings = await web.engine.getEngineSettings();
      expect(settings.canSetPython).toBe(false);
      expect(settings.lockedReason).toMatch(/listens on 0\.0\.0\.0, reachable from other machines/);
      const error = await rejection(
        web.engine.handle('setPython', { python: '/usr/bin/python3' }) as Promise<unknown>,
      );
      expect(error.code).toBe('unavailable');
      expect(error.field).toBe('python');
    } finally {
      await web.stop();
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
