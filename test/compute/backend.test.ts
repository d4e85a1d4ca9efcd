import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  backendOrder,
  conv3dSelfCheck,
  describeBackend,
  initBackend,
  parseBackendChoice,
} from '../../main/compute/backend';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe('backend selection', () => {
  it('falls through the chain to WASM here, saying why each better backend was skipped', async () => {
    const info = await initBackend();
    const losers = info.attempts.slice(0, -1);
    for (const a of losers) expect(a.reason).toMatch(/\S/);
    expect(info.attempts.at(-1)).toEqual({ choice: info.choice, ok: true });
    expect(tf.getBackend()).toBe(info.name);
    expect(conv3dSelfCheck()).toBeUndefined();
    if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) {
      // this machine: no native TensorFlow, no usable WebGPU adapter
      expect(info.name).toBe('wasm');
      expect(info.device).toMatch(/WebAssembly/);
      expect(info.attempts[0].reason).toMatch(/not installed \(@tensorflow\/tfjs-node-gpu\)/);
      expect(describeBackend(info)).toMatch(
        /^wasm — CPU \(WebAssembly\); skipped tensorflow-gpu: not installed/,
      );
    }
  });

  it('can be overridden, and switches when asked for another backend', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(info.attempts).toEqual([{ choice: 'cpu', ok: true }]);
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).name).toBe('wasm');
  });

  it('parses SEGNAS_BACKEND and orders the chain below the preferred backend', () => {
    expect(parseBackendChoice(undefined)).toBeUndefined();
    expect(parseBackendChoice('auto')).toBeUndefined();
    expect(parseBackendChoice('webgpu')).toBe('webgpu');
    expect(() => parseBackendChoice('gpu')).toThrow(/SEGNAS_BACKEND='gpu' is not a backend; use one of auto/);
    expect(backendOrder()).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(backendOrder('webgpu')).toEqual(['webgpu', 'wasm', 'cpu']);
  });
});
