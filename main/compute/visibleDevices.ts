/**
 * Which physical GPU each trainer gets. The app numbers GPUs as torch in this process sees them: 0..k−1
 * over the parent's CUDA_VISIBLE_DEVICES (which may list indices such as "2,3" or UUIDs such as
 * "GPU-8f…"); $SEGNAS_GPUS picks among those numbers. A trainer is started with CUDA_VISIBLE_DEVICES set
 * to the parent's entry at its number, so that "2,3" trains on physical GPUs 2 and 3 — setting the app's
 * number itself would put it on physical GPUs 0 and 1, someone else's on a shared machine.
 */

/** The parent's visible-device entries; undefined when CUDA_VISIBLE_DEVICES is unset (every GPU, in order). */
export function parentVisibleDevices(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = env.CUDA_VISIBLE_DEVICES;
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The CUDA_VISIBLE_DEVICES value for the trainer of the app's GPU `index`. */
export function cudaVisibleFor(index: number, env: NodeJS.ProcessEnv = process.env): string {
  const visible = parentVisibleDevices(env);
  if (visible === undefined) return String(index);
  const entry = visible[index];
  if (entry === undefined)
    throw new Error(
      visible.length === 0
        ? 'CUDA_VISIBLE_DEVICES is set to an empty list: no GPU is visible to this process; unset it or list the GPUs to use'
        : `GPU ${index} is not among the ${visible.length} GPU${visible.length === 1 ? '' : 's'} CUDA_VISIBLE_DEVICES=${env.CUDA_VISIBLE_DEVICES} makes visible (numbered 0–${visible.length - 1}); check $SEGNAS_GPUS`,
    );
  return entry;
}

/**
 * The app's GPU numbers to train on: $SEGNAS_GPUS (e.g. "0,1", numbers as `segnas devices` lists them)
 * when set and valid, else `seen` (every GPU torch sees).
 */
export function selectedGpus(seen: readonly number[], env: NodeJS.ProcessEnv = process.env): number[] {
  const raw = (env.SEGNAS_GPUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (raw.length === 0) return [...seen];
  const ids = raw.map(Number);
  if (!ids.every((g) => Number.isInteger(g) && g >= 0))
    throw new Error(
      `SEGNAS_GPUS=${env.SEGNAS_GPUS}: expected GPU numbers as segnas devices lists them, e.g. 0,1`,
    );
  return ids;
}
