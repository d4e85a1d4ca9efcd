/**
 * The PyTorch engine's memory estimate, per precision, against what autograd really keeps for backward:
 * `python -m segnas_torch.saved` counts every saved tensor's storage once
 * (torch.autograd.graph.saved_tensors_hooks) for 24 random SegNAS11 networks — other networks than the
 * ones the estimate's factors were fitted to — in fp32 and in bf16 autocast. A candidate's estimate decides
 * whether it is trained at all and how many share a GPU, so it must cover the measurement, by less than
 * half again.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonEnv } from '../../main/compute/python';
import { pytorchEngineDir } from '../../main/compute/runtimeFiles';
import { checkBlock } from '../../main/core/blockMatrix';
import type { SearchBounds } from '../../main/core/searchBounds';
import type { ArchitectureSpec } from '../../main/core/spec';
import { getPreset } from '../../main/nas/presets';
import { createSearchSpace } from '../../main/nas/searchSpace';
import { estimateTorchSavedBytes, type TorchPrecision } from '../../main/train/torchMemoryEstimate';
import { torchPython } from './helpers/torchPython';

const SIZE = 16;

function randomNetworks(
  count: number,
): { spec: ArchitectureSpec; classes: number; size: number; batch: number }[] {
  const bounds = getPreset('segnas11').space as SearchBounds;
  const space = createSearchSpace(
    { ...bounds, n: { lo: 4, hi: 13 }, p: { lo: 2, hi: 5 } },
    { inputSize: SIZE },
  );
  let seed = 97;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const out: { spec: ArchitectureSpec; classes: number; size: number; batch: number }[] = [];
  while (out.length < count) {
    const spec = space.decode(space.lower.map((lo, d) => lo + random() * (space.upper[d] - lo)));
    if (!checkBlock(spec.block).legal) continue;
    out.push({
      spec,
      classes: 2 + Math.floor(random() * 4),
      size: SIZE,
      batch: 1 + Math.floor(random() * 2),
    });
  }
  return out;
}

/** Runs the engine's measurement on `queries` (stdin JSON) and answers its saved bytes per network. */
async function measureSaved(queries: object[]): Promise<number[]> {
  const python = await torchPython();
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'segnas_torch.saved'], {
      cwd: pytorchEngineDir(),
      env: pythonEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`segnas_torch.saved exited ${code}: ${err.slice(-2000)}`));
      else resolve((JSON.parse(out) as { savedBytes: number }[]).map((r) => r.savedBytes));
    });
    child.stdin.end(JSON.stringify(queries));
  });
}

describe('PyTorch memory estimate against the tensors autograd saves', () => {
  const networks = randomNetworks(24);

  it.each(['fp32', 'bf16'] as TorchPrecision[])(
    'covers what %s training keeps, by less than 1.5×',
    async (precision) => {
      const measured = await measureSaved(networks.map((n) => ({ ...n, precision, dropout: 0.1 })));
      const ratios = networks.map(
        (n, i) => estimateTorchSavedBytes(n.spec, { ...n, dropout: true, precision }) / measured[i],
      );
      console.log(
        `${precision}: estimate / measured ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
      );
      for (const r of ratios) {
        expect(r).toBeGreaterThanOrEqual(1);
        expect(r).toBeLessThan(1.5);
      }
    },
    240_000,
  );
});
