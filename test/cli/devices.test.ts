/** `segnas devices`: what a user with Debian's python3-torch sees (a usable PyTorch CPU engine and TensorFlow.js). */
import { describe, expect, it, vi } from 'vitest';
import { run as devices } from '../../main/cli/commands/devices';
import { torchPython } from '../compute/helpers/torchPython';

describe('segnas devices', () => {
  it('lists a usable PyTorch CPU device and the TensorFlow.js engine with versions, and what auto picks', async () => {
    await torchPython(); // fails with how to install torch when there is none
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    const code = await devices(['--json']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as {
      devices: {
        engine: string;
        kind: string;
        usable: boolean;
        version?: string;
        problem?: string;
        fix?: string;
      }[];
      auto: { engine: string };
    };
    const torchCpu = report.devices.find((d) => d.engine === 'pytorch' && d.kind === 'cpu');
    expect(torchCpu?.usable).toBe(true);
    expect(torchCpu?.version).toMatch(/^torch \d/);
    const tfjs = report.devices.filter((d) => d.engine === 'tfjs' && d.usable);
    expect(tfjs.length).toBeGreaterThan(0);
    expect(tfjs[0].version).toMatch(/^tfjs \d/);
    // every unusable entry says why and how to fix it
    for (const d of report.devices.filter((x) => !x.usable)) {
      expect(d.problem).toBeTruthy();
      expect(d.fix).toBeTruthy();
    }
    expect(['pytorch', 'tfjs']).toContain(report.auto.engine);
  }, 180_000);
});
