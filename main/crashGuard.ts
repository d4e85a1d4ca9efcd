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

/** Faults of the machine rather than the program: said in words, without a stack. */
const ENVIRONMENT: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  SQLITE_FULL: 'the disk is full',
  EROFS: 'the file system is read-only',
  EIO: 'the disk reported an I/O error',
};

export function describeFault(kind: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  const plain = typeof e?.code === 'string' ? ENVIRONMENT[e.code] : undefined;
  if (plain)
    return `segnas: ${plain} (${e?.code}${e?.path ? ` writing ${e.path}` : ''}); what was finished is in the store. Free space, then continue with segnas resume <id>`;
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
