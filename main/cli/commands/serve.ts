/** `segnas serve`: the web mode, for machines without a display (e.g. a GPU server reached over SSH). */
import { serveWorkspace } from '../../server/serve';
import { DEFAULT_HOST } from '../../server/webServer';
import { resolveWorkspaceDir } from '../../store/workspace';
import { defineCommand, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'serve',
  usage: 'segnas serve [--port N] [--host ADDR] [--workspace DIR]',
  description: `Serves the SegNAS Studio UI and engine over HTTP + WebSocket and prints a URL with a random
per-run token; requests without the token are refused (401). Experiments and uploaded datasets are
kept in the workspace.`,
  options: {
    port: { type: 'string', arg: 'N', help: 'port to listen on (default: a free port)' },
    host: {
      type: 'string',
      arg: 'ADDR',
      help: `address to bind (default ${DEFAULT_HOST}, this machine only; use 0.0.0.0 only on a
trusted network, or better an SSH tunnel: ssh -L 8080:127.0.0.1:8080 server)`,
    },
  },
  workspace: true,
  async action({ values }) {
    const port = Number(values.port ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer 0–65535 (got ${values.port})`);
    const workspace = resolveWorkspaceDir(values.workspace);
    const web = await serveWorkspace({ workspace, host: values.host ?? DEFAULT_HOST, port });
    const info = await web.engine.getInfo();
    console.log(`SegNAS Studio web mode — workspace ${workspace}`);
    console.log(`backend: ${info.backend.name} (${info.backend.device})`);
    console.log(`\nOpen: ${web.openUrl}\n`);
    console.log('Press Ctrl-C to stop.');
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await web.stop();
    return 0;
  },
});
