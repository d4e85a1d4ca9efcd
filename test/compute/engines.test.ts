/** Choosing the training engine: options, interpreter order, and the recorded backend a resume reads. */
import { describe, expect, it } from 'vitest';
import { engineRequest } from '../../main/cli/commands/search';
import { resolveEngine } from '../../main/compute/engines';
import { pythonCandidates } from '../../main/compute/python';
import { pytorchDevices } from '../../main/compute/trainerPool';

describe('engine choice', () => {
  it('reads --engine/--device/--python/--per-gpu/--precision, defaulting to auto ($SEGNAS_ENGINE)', () => {
    expect(engineRequest({}, {})).toEqual({ engine: 'auto' });
    expect(engineRequest({}, { SEGNAS_ENGINE: 'tfjs' })).toEqual({ engine: 'tfjs' });
    expect(engineRequest({ backend: 'wasm' }, {})).toEqual({ engine: 'tfjs' });
    expect(engineRequest({ device: 'cuda', 'per-gpu': '4', precision: 'bf16' }, {})).toEqual({
      engine: 'pytorch',
      device: 'cuda',
      perGpu: 4,
      precision: 'bf16',
    });
    expect(() => engineRequest({ engine: 'jax' }, {})).toThrow(/--engine must be one of auto, pytorch, tfjs/);
    expect(() => engineRequest({ device: 'tpu' }, {})).toThrow(/--device must be one of cuda, mps, cpu/);
    expect(() => engineRequest({ engine: 'tfjs', device: 'cuda' }, {})).toThrow(/PyTorch options/);
  });

  it('tries --python, then $SEGNAS_PYTHON, then python3, python, /usr/bin/python3', () => {
    expect(pythonCandidates('/opt/py', { SEGNAS_PYTHON: '/env/py' }).map((c) => c.python)).toEqual([
      '/opt/py',
      '/env/py',
      'python3',
      'python',
      '/usr/bin/python3',
    ]);
    expect(pythonCandidates(undefined, { SEGNAS_PYTHON: 'python3' }).map((c) => c.source)).toEqual([
      '$SEGNAS_PYTHON',
      'default',
      'default',
    ]);
  });

  it('gives each GPU its trainers, --per-gpu of them, each seeing only its GPU', () => {
    const slots = pytorchDevices('/usr/bin/python3', 'cuda', {
      gpus: [0, 1],
      perGpu: 2,
      precision: 'bf16',
      env: {},
    });
    expect(slots.map((s) => s.label)).toEqual(['GPU 0.0', 'GPU 0.1', 'GPU 1.0', 'GPU 1.1']);
    expect(slots[3].env).toEqual({ CUDA_VISIBLE_DEVICES: '1' });
    // Two trainers share each GPU: each may hold half of its memory.
    expect(slots[0].python?.args).toEqual([
      '--device',
      'cuda',
      '--precision',
      'bf16',
      '--memory-fraction',
      '0.5000',
    ]);
    const alone = pytorchDevices('/usr/bin/python3', 'cuda', { gpus: [0], env: {} });
    expect(alone[0].python?.args).toEqual(['--device', 'cuda']);
    expect(pytorchDevices('/usr/bin/python3', 'cpu').map((s) => s.label)).toEqual(['CPU']);
  });

  it('takes TensorFlow.js when asked, without looking for Python', async () => {
    const r = await resolveEngine({ engine: 'tfjs' }, { PATH: '' });
    expect(r.engine).toBe('tfjs');
  });
});
