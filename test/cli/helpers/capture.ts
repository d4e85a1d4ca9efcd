/** What a CLI user reads: console.log and console.error collected while a command runs. */
import { vi } from 'vitest';

export interface Captured {
  out: string;
  err: string;
  /** Both, in the order they were written (as on a terminal). */
  all: string;
}

/** Runs `work` with the console collected and restored afterwards, even when it throws. */
export async function captureConsole<T>(work: () => Promise<T>): Promise<Captured & { value: T }> {
  const lines: { stream: 'out' | 'err'; text: string }[] = [];
  const join = (stream?: 'out' | 'err') =>
    lines
      .filter((l) => !stream || l.stream === stream)
      .map((l) => l.text)
      .join('\n');
  vi.spyOn(console, 'log').mockImplementation(
    (...a) => void lines.push({ stream: 'out', text: a.join(' ') }),
  );
  vi.spyOn(console, 'error').mockImplementation(
    (...a) => void lines.push({ stream: 'err', text: a.join(' ') }),
  );
  try {
    const value = await work();
    return { value, out: join('out'), err: join('err'), all: join() };
  } finally {
    vi.restoreAllMocks();
  }
}

/** A CLI command's `run(argv)` with its exit code and output. */
export async function capture(
  command: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<Captured & { code: number }> {
  const { value, ...text } = await captureConsole(() => command(argv));
  return { code: value, ...text };
}
