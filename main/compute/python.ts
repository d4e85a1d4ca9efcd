/**
 * Finding a Python interpreter that can run the PyTorch trainer (engines/pytorch): the first of
 * `--python`, $SEGNAS_PYTHON, python3, python and /usr/bin/python3 that imports torch. Each attempt keeps
 * why it was not usable, so `segnas devices` can say what to fix.
 */
import { execFile } from 'node:child_process';
import { delimiter } from 'node:path';
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
  /** Where the candidate came from: '--python', '$SEGNAS_PYTHON' or 'default'. */
  source: string;
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

export function pythonCandidates(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): { python: string; source: string }[] {
  const list = [
    ...(explicit ? [{ python: explicit, source: '--python' }] : []),
    ...(env.SEGNAS_PYTHON ? [{ python: env.SEGNAS_PYTHON, source: '$SEGNAS_PYTHON' }] : []),
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
            problem: `${python} (Python ${parsed.python}) has no usable torch: ${parsed.error}`,
            fix: `${python} -m pip install torch (or apt-get install python3-torch)`,
          });
          return;
        }
        resolveProbe({
          ...base,
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
): Promise<PythonAttempt[]> {
  const out: PythonAttempt[] = [];
  for (const c of pythonCandidates(explicit, env)) out.push(await probePython(c.python, c.source));
  return out;
}

/** The first interpreter that imports torch; throws naming every attempt and how to fix it otherwise. */
export async function findTorchPython(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PythonAttempt> {
  const tried: PythonAttempt[] = [];
  for (const c of pythonCandidates(explicit, env)) {
    const attempt = await probePython(c.python, c.source);
    if (attempt.torch) return attempt;
    tried.push(attempt);
  }
  throw new Error(
    `no Python with torch found (tried ${tried.map((t) => `${t.python}: ${t.problem}`).join('; ')}); ${INSTALL_TORCH_HINT}, or point --python / $SEGNAS_PYTHON at an interpreter that has it`,
  );
}
