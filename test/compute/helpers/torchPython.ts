/**
 * The Python interpreter with torch that the PyTorch-engine tests run (found as the app finds it). Tests
 * that need it fail, never skip, with a message saying where we looked and how to install torch.
 */
import { execFile } from 'node:child_process';
import { findTorchPython, pythonEnv } from '../../../main/compute/python';
import { pytorchEngineDir } from '../../../main/compute/runtimeFiles';

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
