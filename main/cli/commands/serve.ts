/** `segnas serve`: the web mode, for machines without a display (e.g. a GPU server reached over SSH). */
import type { ExperimentSummary } from '../../api';
import { installCrashGuard } from '../../crashGuard';
import { isLoopback } from '../../server/requestGuard';
import { serveWorkspace } from '../../server/serve';
import { DEFAULT_HOST } from '../../server/webServer';
import { resolveWorkspaceDir } from '../../store/workspace';
import { defineCommand, UsageError } from '../command';

export const { run } = defineCommand({
  name: 'serve',
  usage: 'segnas serve [--port N] [--host ADDR] [--allow-host NAME]... [--workspace DIR]',
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
    'allow-host': {
      type: 'string',
      multiple: true,
      arg: 'NAME',
      help: `a Host name the server also answers to (repeatable; e.g. the name of this machine
behind a tunnel); requests naming another Host are refused`,
    },
  },
  workspace: true,
  async action({ values }) {
    const port = Number(values.port ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer 0–65535 (got ${values.port})`);
    const workspace = resolveWorkspaceDir(values.workspace);
    const host = values.host ?? DEFAULT_HOST;
    const web = await serveWorkspace({ workspace, host, port, allowHosts: values['allow-host'] });
    if (!isLoopback(host))
      console.error(
        `WARNING: serving plain HTTP on ${host}: the token and every image travel unencrypted, and anyone ` +
          'who can reach this port and sees the token controls the engine. Prefer the default 127.0.0.1 ' +
          'with an SSH tunnel (ssh -L 8080:127.0.0.1:8080 server), or put an HTTPS proxy in front.',
      );
    console.log(`SegNAS Studio web mode — workspace ${workspace}`);
    console.log(`\nOpen: ${web.openUrl}\n`);
    // Probing the backends comes after the URL: WebGPU's Dawn writes its own warnings straight to stderr
    // (e.g. "Couldn't load Vulkan" on machines without a GPU driver), which must not bury the URL.
    const info = await web.engine.getInfo();
    console.log(`backend: ${info.backend.name} (${info.backend.device})`);
    console.log('Press Ctrl-C to stop.');
    // A fault somewhere in the engine stops this process's searches cleanly; the server keeps serving.
    const removeGuard = installCrashGuard({
      onFault: async () => {
        const list = (await web.engine.handle('listExperiments', undefined)) as ExperimentSummary[];
        // stopSearch acts only on searches this process runs; those of other processes stay as they are.
        for (const e of list)
          if (e.status === 'running') {
            console.error(
              `stopping experiment ${e.id} after the internal error; resume it with segnas resume ${e.id}`,
            );
            await web.engine.handle('stopSearch', { experimentId: e.id });
          }
      },
    });
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    removeGuard();
    await web.stop();
    return 0;
  },
});
