/**
 * The Python interpreter with torch that the PyTorch-engine tests run (found as the app finds it). Tests
 * that need it fail, never skip, with a message saying where we looked and how to install torch.
 */
import { execFile } from 'node:child_process';
import { findTorchPython, pythonEnv } from '../../../main/compute/python';
import { pytorchEngineDir } from '../../../main/compute/runtimeFiles';
import type { TrainerProcessOptions } from '../../../main/compute/trainerProcess';

let found: Promise<string> | undefined;

export function torchPython(): Promise<string> {
  found ??= findTorchPython().then(
    (a) => a.python,
    (e: Error) => {
      throw new Error(
        `These tests run the PyTorch engine (${pytorchEngineDir()}) and need a Python with torch. ${e.message}. On Debian: apt-get install -y python3-torch; elsewhere: pip install torch.`,
      );
    },
  );
  return found;
}

/** Runs `python -m <module>` of the engine package with `input` on stdin; resolves with stdout. */
export async function runEngineModule(module: string, input: string, timeoutMs = 120_000): Promise<string> {
  const python = await torchPython();
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      ['-m', module],
      { cwd: pytorchEngineDir(), env: pythonEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${module}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

/** The PyTorch engine as the trainer tests start it: on the CPU, one thread (plus `env`). */
export async function torchTrainerOptions(env?: Record<string, string>): Promise<TrainerProcessOptions> {
  return {
    label: 'pytorch',
    // one thread: on a small busy machine, torch's second thread spins more than it helps
    env: { ...env, SEGNAS_CPU_THREADS: '1' },
    python: { executable: await torchPython(), args: ['--device', 'cpu'] },
  };
}

/** Both training engines as the trainer tests start them. */
export const BOTH_ENGINES: {
  name: 'tfjs' | 'pytorch';
  options: (env?: Record<string, string>) => Promise<TrainerProcessOptions>;
}[] = [
  { name: 'tfjs', options: async (env) => ({ label: 'tfjs', ...(env && { env }) }) },
  { name: 'pytorch', options: torchTrainerOptions },
];
