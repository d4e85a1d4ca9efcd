/**
 * Finding a Python interpreter that can run the PyTorch trainer (engines/pytorch): the first of
 * `--python`, $SEGNAS_PYTHON, python3, python and /usr/bin/python3 that imports torch. Each attempt keeps
 * why it was not usable, so `segnas devices` can say what to fix.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename, delimiter, isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { pytorchEngineDir } from './runtimeFiles';

export const INSTALL_TORCH_HINT =
  'install PyTorch: `pip install torch` (any OS), or `apt-get install python3-torch` (Debian/Ubuntu, CPU only)';

const deviceInfoSchema = z.object({
  name: z.string(),
  index: z.number().int(),
  totalBytes: z.number().nullable(),
  freeBytes: z.number().nullable(),
  computeCapability: z.string().nullable(),
});
export type TorchDeviceInfo = z.infer<typeof deviceInfoSchema>;

const probeSchema = z.union([
  z.object({
    torch: z.string(),
    python: z.string(),
    cudaBuild: z.string().nullable(),
    devices: z
      .object({
        cuda: z.array(deviceInfoSchema),
        mps: z.array(deviceInfoSchema),
        cpu: z.array(deviceInfoSchema),
      })
      .partial(),
  }),
  z.object({ torch: z.null(), python: z.string(), error: z.string() }),
]);

export interface PythonAttempt {
  python: string;
  /** Where the candidate came from: '--python', '$SEGNAS_PYTHON', 'workspace setting' or 'default'. */
  source: string;
  /** The interpreter's Python version, when it ran the probe (with or without torch). */
  pythonVersion?: string;
  /** Set when the interpreter runs and imports torch. */
  torch?: {
    version: string;
    python: string;
    cudaBuild: string | null;
    devices: Partial<Record<'cuda' | 'mps' | 'cpu', TorchDeviceInfo[]>>;
  };
  /** Why this candidate cannot run the trainer, and the one command that fixes it. */
  problem?: string;
  fix?: string;
}

/** Environment of a Python trainer: the engine package on PYTHONPATH, unbuffered stderr. */
export function pythonEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // The folder put on PYTHONPATH so that `python -m segnas_torch` finds the package.
  const dir = pytorchEngineDir();
  const path = base.PYTHONPATH ? `${dir}${delimiter}${base.PYTHONPATH}` : dir;
  return { ...base, PYTHONPATH: path, PYTHONUNBUFFERED: '1' };
}

/**
 * The interpreters to try, in order: `--python`, $SEGNAS_PYTHON (both the engine process's own), the
 * workspace's setting (chosen in the UI, ./workspaceSettings), then the usual names.
 */
export function pythonCandidates(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  configured?: string,
): { python: string; source: string }[] {
  const list = [
    ...(explicit ? [{ python: explicit, source: '--python' }] : []),
    ...(env.SEGNAS_PYTHON ? [{ python: env.SEGNAS_PYTHON, source: '$SEGNAS_PYTHON' }] : []),
    ...(configured ? [{ python: configured, source: 'workspace setting' }] : []),
    ...['python3', 'python', '/usr/bin/python3'].map((python) => ({ python, source: 'default' })),
  ];
  return list.filter((c, i) => list.findIndex((d) => d.python === c.python) === i);
}

/** Runs `python -m segnas_torch.probe`: what torch this interpreter has and which devices it sees. */
export function probePython(python: string, source = 'default', timeoutMs = 60_000): Promise<PythonAttempt> {
  return new Promise((resolveProbe) => {
    execFile(
      python,
      ['-m', 'segnas_torch.probe'],
      { cwd: pytorchEngineDir(), env: pythonEnv(), timeout: timeoutMs, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const base = { python, source };
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          resolveProbe({
            ...base,
            problem: `${python} not found`,
            fix: 'install Python 3.9 or later, then `pip install torch`',
          });
          return;
        }
        const line = stdout.trim().split('\n').pop() ?? '';
        let parsed: z.infer<typeof probeSchema> | undefined;
        try {
          const r = probeSchema.safeParse(JSON.parse(line));
          if (r.success) parsed = r.data;
        } catch {
          parsed = undefined;
        }
        if (!parsed) {
          if (line && !stderr) stderr = `unexpected probe output: ${line.slice(0, 200)}`;
          const why = (stderr || String(error ?? '')).trim().split('\n').slice(-2).join(' | ');
          resolveProbe({
            ...base,
            problem: `${python} could not run the probe: ${why || 'no output'}`,
            fix: 'use Python 3.9 or later (--python PATH or $SEGNAS_PYTHON)',
          });
          return;
        }
        if (parsed.torch === null) {
          resolveProbe({
            ...base,
            pythonVersion: parsed.python,
            problem: `${python} (Python ${parsed.python}) has no usable torch: ${parsed.error}`,
            fix: `${python} -m pip install torch (or apt-get install python3-torch)`,
          });
          return;
        }
        resolveProbe({
          ...base,
          pythonVersion: parsed.python,
          torch: {
            version: parsed.torch,
            python: parsed.python,
            cudaBuild: parsed.cudaBuild,
            devices: parsed.devices,
          },
        });
      },
    );
  });
}

/** Every candidate, probed in order (the first with torch is the one the engine uses). */
export async function probePythons(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  configured?: string,
): Promise<PythonAttempt[]> {
  const out: PythonAttempt[] = [];
  for (const c of pythonCandidates(explicit, env, configured))
    out.push(await probePython(c.python, c.source));
  return out;
}

/** The first interpreter that imports torch; throws naming every attempt and how to fix it otherwise. */
export async function findTorchPython(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  configured?: string,
): Promise<PythonAttempt> {
  const tried: PythonAttempt[] = [];
  for (const c of pythonCandidates(explicit, env, configured)) {
    const attempt = await probePython(c.python, c.source);
    if (attempt.torch) return attempt;
    tried.push(attempt);
  }
  throw new Error(
    `no Python with torch found (tried ${tried.map((t) => `${t.python}: ${t.problem}`).join('; ')}); ${INSTALL_TORCH_HINT}, or point --python / $SEGNAS_PYTHON at an interpreter that has it`,
  );
}

/** A file name an interpreter may have: python, python3, python3.12, python.exe, pythonw3.11.exe. */
const INTERPRETER_NAME = /^pythonw?(\d+(\.\d+)?)?(\.exe)?$/i;

/**
 * Checks an interpreter path a UI hands over before anything runs it (the Check button, the workspace
 * setting): the engine will execute it, so only an existing, executable file named like a Python
 * interpreter is accepted, that nobody but its owner can replace and that does not lie inside the
 * workspace (where web mode writes uploaded files). Throws naming what is wrong. (The path itself is kept,
 * not its target: a virtual environment's python is a link that finds its environment by its own path.)
 */
export async function checkInterpreterPath(path: string, workspace: string): Promise<void> {
  if (!isAbsolute(path))
    throw new Error(`${path}: give the interpreter's absolute path, e.g. /usr/bin/python3`);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new Error(`${path}: no such file`);
  }
  if (!INTERPRETER_NAME.test(basename(path)) || !INTERPRETER_NAME.test(basename(real)))
    throw new Error(
      `${path}: not a Python interpreter's name (python, python3, python3.12, …); only an interpreter can be set`,
    );
  const info = await stat(real);
  if (!info.isFile()) throw new Error(`${path}: not a file`);
  try {
    await access(real, constants.X_OK);
  } catch {
    throw new Error(`${path}: not executable`);
  }
  if (process.platform !== 'win32' && (info.mode & 0o022) !== 0)
    throw new Error(
      `${path}: writable by other users, who could replace what the engine runs (chmod go-w ${real})`,
    );
  let workspaceReal = workspace;
  try {
    workspaceReal = await realpath(workspace);
  } catch {
    // a workspace that does not exist yet holds nothing
  }
  const inside = relative(workspaceReal, real);
  if (!inside.startsWith('..') && !isAbsolute(inside))
    throw new Error(
      `${path}: inside the workspace, where uploaded files are kept; use an installed interpreter`,
    );
}
