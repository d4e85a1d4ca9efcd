/** A real `segnas serve` child process on 127.0.0.1 and raw-socket helpers to talk to it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export const REPO = resolve(import.meta.dirname, '..', '..');

export interface ServeChild {
  child: ChildProcess;
  workspace: string;
  port: number;
  token: string;
  output: () => string;
  alive: () => boolean;
  stop: () => Promise<void>;
}

/** One `segnas serve` for a test file: started before its tests (handed to `use`), stopped after them. */
export function withServe(
  use: (serve: ServeChild) => void,
  options: { fdLimit?: number; timeoutMs?: number } = {},
) {
  let serve: ServeChild | undefined;
  beforeAll(async () => {
    serve = await startServe([], options);
    use(serve);
  }, options.timeoutMs ?? 90_000);
  afterAll(async () => {
    await serve?.stop();
    if (serve) rmSync(serve.workspace, { recursive: true, force: true });
  });
}

/** Starts `segnas serve --port 0` on a fresh workspace and waits for the URL it prints. */
export async function startServe(
  extraArgs: string[] = [],
  options: { fdLimit?: number } = {},
): Promise<ServeChild> {
  const workspace = mkdtempSync(join(tmpdir(), 'segnas-serve-'));
  const args = [
    join(REPO, 'bin', 'segnas.mjs'),
    'serve',
    '--port',
    '0',
    '--workspace',
    workspace,
    ...extraArgs,
  ];
  // With fdLimit, the server runs under `ulimit -n` (to show what exhausting descriptors does).
  const [command, argv] = options.fdLimit
    ? ['/bin/sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, argv, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SEGNAS_BACKEND: 'cpu' },
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const url = await new Promise<URL>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`segnas serve printed no URL:\n${text}`)), 60_000);
    const check = () => {
      const m = /Open: (http:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolveUrl(new URL(m[1]));
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`segnas serve exited (${code}):\n${text}`)));
  });
  return {
    child,
    workspace,
    port: Number(url.port),
    token: url.searchParams.get('token') ?? '',
    output: () => text,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Sends raw bytes to 127.0.0.1:port; resolves with the status code of the answer (0 when none). */
export function rawRequest(port: number, bytes: string | Buffer, waitMs = 3000): Promise<number> {
  return new Promise((resolveStatus) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolveStatus(m ? Number(m[1]) : 0);
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(data) && data.includes('\r\n\r\n')) finish();
    });
    socket.on('connect', () => socket.write(bytes));
  });
}
