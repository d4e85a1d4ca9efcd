/**
 * Long-running processes (`segnas serve`, `segnas search`/`resume`, the desktop engine) must never
 * end silently: an uncaught exception or unhandled rejection is logged with its stack and turned into
 * a clean stop of the experiments this process runs (their finished candidates are in the store, and
 * they can be resumed), instead of Node's default of exiting with every search.
 */

export interface CrashGuardOptions {
  /** Where the report goes (stderr by default). */
  log?: (text: string) => void;
  /** Stops what the fault may have corrupted; errors thrown here are logged, never rethrown. */
  onFault: (error: unknown) => void | Promise<void>;
}

export function describeFault(kind: string, error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `segnas: internal error (${kind}): ${text}`;
}

/** Installs the handlers; returns a function that removes them. */
export function installCrashGuard(options: CrashGuardOptions): () => void {
  const log = options.log ?? ((text: string) => process.stderr.write(`${text}\n`));
  let handling = false;
  const fault = (kind: string) => (error: unknown) => {
    log(describeFault(kind, error));
    if (handling) return; // a fault while stopping: logged above, the stop already under way goes on
    handling = true;
    Promise.resolve()
      .then(() => options.onFault(error))
      .catch((e) => log(describeFault('while stopping after the fault', e)))
      .finally(() => {
        handling = false;
      });
  };
  const onException = fault('uncaught exception');
  const onRejection = fault('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
