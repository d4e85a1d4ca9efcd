/**
 * The experiment store: one SQLite file (`segnas.sqlite`) per workspace folder.
 */
import { resolve } from 'node:path';
import type { ExperimentStore } from './experimentStore';
import { openSqliteStore } from './sqliteStore';
import { resolveWorkspaceDir, storeFilePath } from './workspace';

export { experimentCacheScope } from './cacheScope';
export type { ExperimentStore, StatusChange } from './experimentStore';
export { currentOwner, isOwnerAlive, isProcessAlive } from './liveness';
export { storeResultCache } from './resultCache';
export { SCHEMA_VERSION } from './schema';
export { canTransition } from './status';
export * from './types';
export {
  defaultWorkspaceDir,
  experimentDir,
  resolveWorkspaceDir,
  STORE_FILE_NAME,
  storeFilePath,
} from './workspace';

/**
 * Opens (creating if needed) the store of `workspaceDir`; without one, $SEGNAS_WORKSPACE or the
 * user's data folder. Close it when done so the WAL is checkpointed into the main file.
 */
export function openStore(workspaceDir?: string): ExperimentStore {
  const dir = resolve(resolveWorkspaceDir(workspaceDir));
  return openSqliteStore(storeFilePath(dir), dir);
}
