/**
 * What the search commands share: running an experiment to its end with progress output and a clean
 * Ctrl-C (the first stops the search so that it can be resumed, a second quits at once).
 */
import { join } from 'node:path';
import { installCrashGuard } from '../crashGuard';
import { reportDirOf } from '../search/afterSearch';
import { createSearchRunner, type LocalSearchRunner } from '../search/searchRunner';
import { resolveWorkspaceDir } from '../store';
import { createProgressPrinter } from './progress';

export function openRunner(workspace: string | undefined): LocalSearchRunner {
  const printer = createProgressPrinter();
  const runner = createSearchRunner({ workspace: resolveWorkspaceDir(workspace), emit: printer });
  for (const id of runner.interruptedAtStart)
    console.error(
      `experiment ${id} was left running by a process that is gone; marked interrupted (segnas resume ${id})`,
    );
  return runner;
}

/** Waits for the experiment's run (search, test, report) with Ctrl-C handling; returns the exit status. */
export async function runToEnd(runner: LocalSearchRunner, experimentId: number): Promise<number> {
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      console.error('\nquitting now; the search can still be resumed (candidates in training are retrained)');
      process.exit(130);
    }
    console.error(`\nstopping experiment ${experimentId}… (Ctrl-C again to quit at once)`);
    void runner.stop(experimentId);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let fault = false;
  const removeGuard = installCrashGuard({
    onFault: async () => {
      fault = true;
      console.error(`stopping experiment ${experimentId} after the internal error above`);
      await runner.stop(experimentId);
    },
  });
  try {
    const end = await runner.whenDone(experimentId);
    const reportDir = reportDirOf(runner.store.workspaceDir, experimentId);
    switch (end.status) {
      case 'finished':
        console.log(`report: ${join(reportDir, 'summary.md')} (and report.json, candidates.csv)`);
        return 0;
      case 'stopped':
      case 'paused':
        console.log(
          `experiment ${experimentId} ${end.status}; continue it with: segnas resume ${experimentId}`,
        );
        return fault ? 1 : interrupts > 0 ? 130 : 0;
      default:
        console.error(`experiment ${experimentId} failed: ${end.message ?? 'see segnas show'}`);
        return 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await runner.close();
    removeGuard();
  }
}
