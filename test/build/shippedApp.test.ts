/**
 * The app as it ships. The production build (scripts/build.mjs) and the production dependencies are
 * copied into a folder outside the checkout, with no TypeScript, no tsx and no dev dependencies, and
 * must run from there on their own: `segnas demo` to the end, and the Electron engine host, driven
 * over a stand-in for Electron's parentPort as the main process drives it, through a search whose
 * trainer processes start from the build. electron-builder's configuration must pack exactly that
 * build: kernels.wasm and the bundles inside, the Python engine beside, no TypeScript.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, matchesGlob, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { HostMessage, HostRequest } from '../../electron/ipc';
import type { ApiMethod, ApiRequest, ApiResponse, SearchConfig, SearchEvent } from '../../main/api';
import { decodeCandidates } from '../../main/api';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON_ENGINE = join(ROOT, 'engines', 'pytorch');
const STAND_IN = join(ROOT, 'test', 'build', 'parentPortStandIn.mjs');

let shipped: string;

/** The child's environment: nothing that could point Node back at the checkout or add loaders. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key === 'NODE_OPTIONS' || key === 'NODE_PATH' || key.startsWith('VITEST')) delete env[key];
  return env;
}

/** Every file under `dir`, relative to it, with forward slashes; `skip` names folders left out. */
function filesUnder(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        if (!skip.includes(entry.name)) walk(path);
      } else out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

/** The packages `npm ci --omit=dev` installs (package-lock.json), copied out of this node_modules. */
function copyProductionDependencies(to: string): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean; link?: boolean }>;
  };
  const copied: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev || entry.optional || entry.devOptional || entry.link) continue;
    const source = realpathSync(join(ROOT, key));
    // Nested node_modules are packages of their own in the lock: copied (or not) by their own entry.
    cpSync(source, join(to, key), {
      recursive: true,
      dereference: true,
      filter: (path) => !relative(source, path).split(sep).includes('node_modules'),
    });
    copied.push(key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  return copied;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (out += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    });
  });
}

beforeAll(async () => {
  shipped = mkdtempSync(join(tmpdir(), 'segnas-shipped-'));
  // Module resolution walks up from the bundles: no folder above may offer packages of its own.
  for (let dir = dirname(shipped); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')))
      throw new Error(`${dir}/node_modules would be visible to the shipped app; use another TMPDIR`);
    if (dirname(dir) === dir) break;
  }
  const build = await run(
    process.execPath,
    [join(ROOT, 'scripts', 'build.mjs'), '--out', shipped],
    ROOT,
    240_000,
  );
  if (build.code !== 0) throw new Error(`scripts/build.mjs failed (exit ${build.code}):\n${build.out}`);
  mkdirSync(join(shipped, 'bin'));
  cpSync(join(ROOT, 'bin', 'segnas.mjs'), join(shipped, 'bin', 'segnas.mjs'));
  cpSync(join(ROOT, 'package.json'), join(shipped, 'package.json'));
  copyProductionDependencies(shipped);
});

afterAll(() => {
  if (shipped) rmSync(shipped, { recursive: true, force: true });
});

describe('the shipped folder (build + production dependencies)', () => {
  it('holds no TypeScript, no tsx and no dev dependencies', () => {
    expect(relative(ROOT, shipped).startsWith('..')).toBe(true);
    const own = filesUnder(shipped, ['node_modules']);
    expect(own.filter((f) => /\.(c|m)?tsx?$/.test(f))).toEqual([]);
    expect(own).toContain('dist-engine/wasm/kernels.wasm');
    const packages = readdirSync(join(shipped, 'node_modules'));
    for (const dev of ['tsx', 'esbuild', 'vite', 'vitest', 'typescript', 'react', '@biomejs'])
      expect(packages).not.toContain(dev);
  });

  it('runs `segnas demo` to the end', async () => {
    const workspace = join(shipped, 'demo-workspace');
    const args = ['demo', '--workspace', workspace, '--evaluations', '3', '--epochs', '1', '--cases', '6'];
    const { code, out } = await run(
      process.execPath,
      [join(shipped, 'bin', 'segnas.mjs'), ...args],
      shipped,
      150_000,
    );
    expect(code, out).toBe(0);
    expect(out).toMatch(/#\d+ trained val Dice/);
    expect(out).toContain('search finished');
    expect(existsSync(join(workspace, 'experiments', '1', 'report', 'summary.md'))).toBe(true);
  }, 180_000);

  it('runs a search in the Electron engine host, driven over parentPort, with trainers from the build', async () => {
    const workspace = join(shipped, 'app-workspace');
    const host: ChildProcess = fork(STAND_IN, [join(shipped, 'dist-engine', 'engineHost.mjs'), workspace], {
      cwd: shipped,
      env: cleanEnv(),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let log = '';
    host.stdout?.on('data', (b: Buffer) => (log += b));
    host.stderr?.on('data', (b: Buffer) => (log += b));
    const events: SearchEvent[] = [];
    const waiting = new Map<number, (m: HostMessage & { kind: 'response' }) => void>();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    host.on('message', (m: HostMessage) => {
      if (m.kind === 'ready') ready();
      else if (m.kind === 'event') events.push(m.event as SearchEvent);
      else waiting.get(m.id)?.(m);
    });
    let nextId = 1;
    /** What Electron's main process does for an invoke from the window (electron/main.ts callEngine). */
    const call = async <M extends ApiMethod>(method: M, payload: ApiRequest<M>): Promise<ApiResponse<M>> => {
      const id = nextId++;
      const reply = new Promise<HostMessage & { kind: 'response' }>((r) => waiting.set(id, r));
      host.send({ kind: 'request', id, method, payload } satisfies HostRequest);
      const m = await reply;
      if (!m.ok) throw new Error(`${method}: ${m.error.message}\n${log}`);
      return m.value as ApiResponse<M>;
    };
    // Trainer processes are children of the host running the build's trainer entry (Linux: /proc).
    const trainerEntry = join(shipped, 'dist-engine', 'trainerWorker.mjs');
    const trainers = new Set<string>();
    const watch = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (ppid === host.pid && cmdline.includes(trainerEntry)) trainers.add(cmdline.join(' '));
        } catch {
          // the process ended while we looked
        }
      }
    }, 100);
    try {
      await isReady;
      const info = await call('getInfo', undefined);
      expect(info.host).toBe('electron');
      const dataset = await call('createDemoDataset', { cases: 6, size: 16 });
      expect(dataset.usable).toBe(true);
      const config: SearchConfig = {
        datasetPath: dataset.root,
        variant: 'custom',
        space: {
          n: { lo: 4, hi: 7 },
          p: { lo: 1, hi: 3 },
          sup: { fixed: 0 },
          res: { lo: 0, hi: 2 },
          nodes: { fixed: 3 },
          ops: [{ fixed: 2 }, { fixed: 0 }, { fixed: 2 }],
        },
        training: { size: 16, epochs: 1, batch: 1, learningRate: 1e-3, augmentation: false },
        seed: 3,
        evaluations: 2,
        backend: 'wasm',
        memoryBudgetMB: 2048,
      };
      const { experimentId } = await call('startSearch', { config });
      const deadline = Date.now() + 150_000;
      const ended = () =>
        events.find(
          (e) =>
            e.experimentId === experimentId && (e.type === 'search-finished' || e.type === 'search-failed'),
        );
      while (!ended() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(ended(), log).toMatchObject({ type: 'search-finished' });
      expect([...trainers].length, `no trainer process ran ${trainerEntry}\n${log}`).toBeGreaterThan(0);
      const experiment = await call('getExperiment', { experimentId });
      const candidates = decodeCandidates(experiment.candidates);
      expect(candidates).toHaveLength(2);
      const trained = candidates.filter((c) => c.status === 'trained');
      expect(trained.length, JSON.stringify(candidates)).toBeGreaterThan(0);
      for (const summary of trained) {
        const c = await call('getCandidate', { experimentId, seq: summary.seq });
        expect(c.curve).toHaveLength(1);
        expect(c.valDice).toBeGreaterThanOrEqual(0);
        expect(c.device).toContain('WebAssembly');
      }
    } finally {
      clearInterval(watch);
      host.kill();
    }
  }, 200_000);
  it("answers over Node's IPC channel when `npm start` forks the host under the installing Node", async () => {
    // In a checkout better-sqlite3 is built for this Node, not Electron's: electron/main.ts forks the
    // host with SEGNAS_ENGINE_NODE instead of starting a utilityProcess. Same messages, no parentPort.
    const host: ChildProcess = fork(
      join(shipped, 'dist-engine', 'engineHost.mjs'),
      [join(shipped, 'ipc-workspace')],
      { cwd: shipped, env: cleanEnv(), execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    let log = '';
    host.stderr?.on('data', (b: Buffer) => (log += b));
    const messages: HostMessage[] = [];
    host.on('message', (m: HostMessage) => messages.push(m));
    const until = async (found: () => HostMessage | undefined) => {
      const deadline = Date.now() + 60_000;
      while (!found() && Date.now() < deadline && host.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      return found();
    };
    try {
      expect(await until(() => messages.find((m) => m.kind === 'ready')), log).toBeDefined();
      host.send({
        kind: 'request',
        id: 7,
        method: 'listExperiments',
        payload: undefined,
      } satisfies HostRequest);
      const answer = await until(() => messages.find((m) => m.kind === 'response' && m.id === 7));
      expect(answer, log).toMatchObject({ kind: 'response', id: 7, ok: true, value: [] });
      // The shell quits: the host goes with it instead of lingering.
      const exited = new Promise<number | null>((r) => host.on('exit', (code) => r(code)));
      host.disconnect();
      expect(await exited).toBe(0);
    } finally {
      host.kill();
    }
  }, 90_000);
});

describe("electron-builder's configuration", () => {
  const config = parseYaml(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as {
    files: string[];
    asarUnpack: string[];
    extraResources: { from: string; to: string; filter: string[] }[];
    extraMetadata: { main: string };
    electronFuses: Record<string, boolean>;
  };
  const matches = (file: string, patterns: string[]) => {
    const positive = patterns.filter((p) => !p.startsWith('!'));
    const negative = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    return positive.some((p) => matchesGlob(file, p)) && !negative.some((p) => matchesGlob(file, p));
  };
  /** The app's own files electron-builder packs (production dependencies are added by it). */
  const packed = () => filesUnder(shipped, ['node_modules']).filter((f) => matches(f, config.files));

  it('packs the bundles, the UI and kernels.wasm (unpacked from the asar), and no TypeScript', () => {
    const files = packed();
    for (const f of [
      'package.json',
      'dist-electron/main.cjs',
      'dist-electron/preload.cjs',
      'dist-engine/cli.mjs',
      'dist-engine/engineHost.mjs',
      'dist-engine/trainerWorker.mjs',
      'dist-engine/wasm/kernels.wasm',
      'dist/renderer/index.html',
    ])
      expect(files).toContain(f);
    expect(files).toContain(config.extraMetadata.main);
    expect(files.filter((f) => /\.(c|m)?tsx?$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('bin/') || f.startsWith('demo-workspace/'))).toEqual([]);
    expect(config.asarUnpack.some((p) => matchesGlob('dist-engine/wasm/kernels.wasm', p))).toBe(true);
    // Ships what each bundle imports: every chunk of the engine is packed.
    const chunks = filesUnder(join(shipped, 'dist-engine'), ['engines']).map((f) => `dist-engine/${f}`);
    expect(chunks.filter((f) => !files.includes(f))).toEqual([]);
  });

  it('ships the PyTorch engine as extraResources, outside the asar', () => {
    if (!existsSync(PYTHON_ENGINE))
      throw new Error(`the PyTorch engine is missing from the checkout: looked for ${PYTHON_ENGINE}`);
    const resource = config.extraResources.find((r) => r.to === 'engines/pytorch');
    expect(resource?.from).toBe('dist-engine/engines/pytorch');
    const from = join(shipped, resource!.from);
    const python = filesUnder(from).filter((f) => matches(f, resource!.filter));
    expect(python.filter((f) => f.endsWith('.py')).length).toBeGreaterThan(0);
    expect(python).toEqual(
      expect.arrayContaining(
        filesUnder(PYTHON_ENGINE, ['__pycache__', 'tests', 'test']).filter((f) => f.endsWith('.py')),
      ),
    );
    expect(packed().filter((f) => f.startsWith('dist-engine/engines/'))).toEqual([]);
  });

  it('sets the fuses: no NODE_OPTIONS or inspector, encrypted cookies, asar only and checked', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: true, // the TensorFlow.js trainers are Electron run as Node
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });
});
