/**
 * A model folder's validation Dice as a user outside the app would measure it: model.onnx run by
 * onnxruntime-node on the preprocessed validation volumes, argmax over classes, Dice per label averaged
 * over cases, then over the foreground labels (the trainer's own definition, main/train/metrics.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { VolumeFiles } from '../../../main/compute/protocol';
import { meanForegroundDice, perLabelDice } from '../../../main/train/metrics';

export async function onnxValidationDice(
  modelDir: string,
  volumes: readonly VolumeFiles[],
  size: number,
): Promise<number> {
  const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'));
  try {
    let sum: number[] | undefined;
    for (const v of volumes) {
      const bytes = await readFile(v.image);
      const image = new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      const label = new Uint8Array(await readFile(v.label));
      const out = await session.run({ image: new ort.Tensor('float32', image, [1, 1, size, size, size]) });
      const probs = out.probabilities.data as Float32Array;
      const K = out.probabilities.dims[1];
      const voxels = size ** 3;
      // Argmax over classes, the first of equal maxima (as tf.argMax).
      const pred = new Int32Array(voxels);
      for (let i = 0; i < voxels; i++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (probs[k * voxels + i] > probs[best * voxels + i]) best = k;
        pred[i] = best;
      }
      const dice = perLabelDice(pred, label, K);
      sum = sum ? sum.map((s, l) => s + dice[l]) : dice;
    }
    if (!sum) throw new Error('onnxValidationDice: no validation volumes');
    return meanForegroundDice(sum.map((s) => s / volumes.length));
  } finally {
    await session.release();
  }
}
