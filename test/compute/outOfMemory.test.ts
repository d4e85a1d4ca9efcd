import { describe, expect, it } from 'vitest';
import { isOutOfMemoryError } from '../../main/compute/outOfMemory';

describe('out-of-memory errors of the training engines', () => {
  it('recognizes those of the TensorFlow.js backends, V8 and CUDA, and nothing else', () => {
    expect(isOutOfMemoryError(new Error('OOM when allocating tensor with shape[3,32,128,128,128]'))).toBe(
      true,
    );
    expect(isOutOfMemoryError(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemoryError(new Error('CUDA out of memory. Tried to allocate 2.00 GiB'))).toBe(true);
    expect(isOutOfMemoryError(Object.assign(new Error('trainer exited'), { code: 'OOM' }))).toBe(true);
    expect(isOutOfMemoryError(new Error('loss is NaN'))).toBe(false);
  });
});
