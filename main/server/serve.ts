/** Starts web mode on a workspace: engine + HTTP/WebSocket server; used by `segnas serve` and `npm start`. */
import { RENDERER_DIR } from '../compute/runtimeFiles';
import type { Engine } from '../engine';
import { createEngine } from '../engineServices';
import { isLoopback } from './requestGuard';
import { DEFAULT_HOST, startWebServer, type WebServer } from './webServer';

export const DEFAULT_STATIC_DIR = RENDERER_DIR;

export interface ServeOptions {
  workspace: string;
  host?: string;
  port?: number;
  staticDir?: string;
  token?: string;
  allowHosts?: string[];
}

export interface RunningWebMode extends WebServer {
  engine: Engine;
  stop(): Promise<void>;
}

export async function serveWorkspace(options: ServeOptions): Promise<RunningWebMode> {
  const host = options.host ?? DEFAULT_HOST;
  // The token of a server other machines can reach travels in plain HTTP: its UI may not name a program to run.
  const engine = await createEngine({
    workspace: options.workspace,
    host: 'web',
    ...(!isLoopback(host) && {
      interpreterLockedReason: `this server listens on ${host}, reachable from other machines: set the Python interpreter where the engine runs (segnas serve with $SEGNAS_PYTHON, or the setting in a server on 127.0.0.1)`,
    }),
  });
  const server = await startWebServer({
    engine,
    staticDir: options.staticDir ?? DEFAULT_STATIC_DIR,
    host: options.host,
    port: options.port,
    token: options.token,
    allowHosts: options.allowHosts,
  });
  return {
    ...server,
    engine,
    stop: async () => {
      await server.close();
      await engine.close();
    },
  };
}
