import { describe, expect, it } from 'vitest';
import {
  backendKeyText,
  describeResolvedBackend,
  parseBackendKey,
  requireBackendKey,
  torchDeviceOf,
} from '../../main/core/backendKey';

describe('backend keys', () => {
  it('reads back what it records, so that a resume finds the engine and device again', () => {
    for (const text of [
      'wasm',
      'tensorflow',
      'webgpu',
      'cpu',
      'pytorch-cuda',
      'pytorch-mps',
      'pytorch-cpu',
      'auto',
    ])
      expect(backendKeyText(requireBackendKey(text, 'test'))).toBe(text);
    expect(parseBackendKey('pytorch-mps')).toEqual({ engine: 'pytorch', device: 'mps' });
    expect(torchDeviceOf({ engine: 'pytorch', device: 'cuda' })).toBe('cuda');
    expect(torchDeviceOf({ engine: 'tfjs', backend: 'wasm' })).toBeUndefined();
  });

  it('names where an unknown key came from and what was expected', () => {
    expect(parseBackendKey('pytorch-rocm')).toBeUndefined();
    expect(() => requireBackendKey('gpu', 'experiment 3')).toThrow(
      /experiment 3: "gpu" is not a backend; .*pytorch-cuda/,
    );
  });

  it("shows what 'auto' became", () => {
    expect(describeResolvedBackend('wasm', { requestedBackend: 'auto' })).toBe('wasm (auto)');
    expect(describeResolvedBackend('cpu', { requestedBackend: 'cpu' })).toBe('cpu');
    // The engine asked for decides: PyTorch chosen by --engine auto, or asked for by name.
    const torchAuto = { requestedBackend: 'auto', engine: { requested: 'auto' } };
    expect(describeResolvedBackend('pytorch-cuda', torchAuto)).toBe('pytorch-cuda (auto)');
    const torch = { requestedBackend: 'auto', engine: { requested: 'pytorch' } };
    expect(describeResolvedBackend('pytorch-cuda', torch)).toBe('pytorch-cuda');
    // A cluster search with auto: its trainers choose on the nodes, so nothing is resolved yet.
    expect(describeResolvedBackend('auto', { requestedBackend: 'auto' })).toBe('auto');
  });
});
