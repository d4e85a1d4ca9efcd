/**
 * Settings a workspace keeps for every run in it, in `<workspace>/settings.json` (beside the store file,
 * not in it: a setting is read before any store is opened, e.g. by `segnas devices`). Today one: the Python
 * interpreter of the PyTorch engine chosen in the UI (checked before it is saved: main/compute/python.ts).
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { pathStringSchema } from '../core/searchConfig';

export const SETTINGS_FILE_NAME = 'settings.json';

export const workspaceSettingsSchema = z.object({
  /** The PyTorch engine's interpreter, tried after the engine process's --python and $SEGNAS_PYTHON. */
  python: pathStringSchema.optional(),
});
export type WorkspaceSettings = z.infer<typeof workspaceSettingsSchema>;

export function settingsFilePath(workspace: string): string {
  return join(workspace, SETTINGS_FILE_NAME);
}

/**
 * The workspace's settings; none when the file is missing. A file that does not parse is reported in
 * `problem` and treated as empty (it is replaced on the next save), never a reason not to start.
 */
export function readWorkspaceSettings(workspace: string): { settings: WorkspaceSettings; problem?: string } {
  let text: string;
  try {
    text = readFileSync(settingsFilePath(workspace), 'utf8');
  } catch {
    return { settings: {} };
  }
  try {
    const parsed = workspaceSettingsSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { settings: parsed.data };
    const issue = parsed.error.issues[0];
    return {
      settings: {},
      problem: `${settingsFilePath(workspace)}: field '${issue.path.join('.')}' ${issue.message}; ignored`,
    };
  } catch {
    return { settings: {}, problem: `${settingsFilePath(workspace)} is not JSON; ignored` };
  }
}

/** Replaces the settings file atomically (a crash leaves the old or the new file, never half of one). */
export async function writeWorkspaceSettings(workspace: string, settings: WorkspaceSettings): Promise<void> {
  const checked = workspaceSettingsSchema.parse(settings);
  await mkdir(workspace, { recursive: true });
  const file = settingsFilePath(workspace);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(checked, null, 1)}\n`, { mode: 0o600 });
  await rename(temp, file);
}
