// The search commands' argument handling and output, without training (the search itself is tested in
// test/nas/search*.test.ts and resume.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SearchEvent } from '../../main/api';
import { run as evaluate } from '../../main/cli/commands/evaluate';
import { run as list } from '../../main/cli/commands/list';
import { run as resume } from '../../main/cli/commands/resume';
import { buildConfig, run as search } from '../../main/cli/commands/search';
import { run as show } from '../../main/cli/commands/show';
import { createProgressPrinter, eventLine, formatDuration, statusLine } from '../../main/cli/progress';
import { openStore } from '../../main/store';
import { experimentConfig } from '../helpers/searchConfigs';
import { capture } from './helpers/capture';

const workspaces: string[] = [];
const workspace = () => {
  const dir = mkdtempSync(join(tmpdir(), 'segnas-cli-'));
  workspaces.push(dir);
  return dir;
};

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of workspaces.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('segnas search arguments', () => {
  it('has the paper defaults: SegNAS4, 300 evaluations, 32³, 10 epochs, batch 1', () => {
    const config = buildConfig({ data: '/d' });
    expect(config.variant).toBe('segnas4');
    expect(config.evaluations).toBe(300);
    expect(config.training).toEqual({
      size: 32,
      epochs: 10,
      batch: 1,
      learningRate: 1e-3,
      augmentation: true,
    });
    expect(config.space.n).toEqual({ lo: 8, hi: 33 });
    expect([config.topK, config.splits, config.backend]).toEqual([3, 1, 'auto']);
  });

  it('takes the protocol (paper unless asked) and a native patch, and refuses a patch without it', () => {
    expect(buildConfig({ data: '/d' }).protocol).toBe('paper');
    expect(buildConfig({ data: '/d', protocol: 'native', patch: '40,56,40' })).toMatchObject({
      protocol: 'native',
      patch: [40, 56, 40],
    });
    expect(() => buildConfig({ data: '/d', protocol: 'nnunet' })).toThrow(
      /--protocol must be one of paper, native/,
    );
    expect(() => buildConfig({ data: '/d', patch: '40,56,40' })).toThrow(
      /--patch is used only with --protocol native/,
    );
    expect(() => buildConfig({ data: '/d', protocol: 'native', patch: '40,56' })).toThrow(
      /three positive integers/,
    );
  });

  it('takes a time budget in hours, and has none unless asked', () => {
    expect(buildConfig({ data: '/d', 'budget-hours': '1.5' }).budgetHours).toBe(1.5);
    expect('budgetHours' in buildConfig({ data: '/d' })).toBe(false);
  });

  it('runs a final training only when asked, and refuses a negative number of epochs', () => {
    expect('finalEpochs' in buildConfig({ data: '/d' })).toBe(false);
    expect(buildConfig({ data: '/d', 'final-epochs': '50' }).finalEpochs).toBe(50);
    expect(() => buildConfig({ data: '/d', 'final-epochs': '-1' })).toThrow(
      /--final-epochs must be an integer ≥ 0/,
    );
  });

  it('prunes only when asked, with the documented defaults, and refuses parameters without a rule', async () => {
    expect('prune' in buildConfig({ data: '/d' })).toBe(false);
    expect(buildConfig({ data: '/d', prune: 'asha' }).prune).toEqual({
      rule: 'asha',
      eta: 2,
      minEpochs: 2,
      warmupEpochs: 2,
      minCandidates: 3,
    });
    expect(
      buildConfig({ data: '/d', prune: 'median', 'prune-warmup': '4', 'prune-min-candidates': '5' }).prune,
    ).toMatchObject({ rule: 'median', warmupEpochs: 4, minCandidates: 5 });
    expect(() => buildConfig({ data: '/d', prune: 'hyperband' })).toThrow(
      /--prune must be one of off, asha, median/,
    );
    expect(() => buildConfig({ data: '/d', 'prune-eta': '2' })).toThrow(/--prune-eta needs --prune asha/);
    expect(() => buildConfig({ data: '/d', prune: 'asha', 'prune-eta': '1' })).toThrow(
      /--prune-eta must be an integer ≥ 2/,
    );
    const { out } = await capture(search, ['--help']);
    expect(out).toMatch(/--prune RULE[\s\S]*default off/);
    expect(out).toMatch(/--prune-eta η[\s\S]*default 2/);
    expect(out).toMatch(/--prune-min-epochs R[\s\S]*default 2/);
  });

  it('turns a baseline into one fixed architecture evaluated once', () => {
    const config = buildConfig({ data: '/d', variant: 'vnet', evaluations: '300' });
    expect(config.evaluations).toBe(1);
    expect(config.space).toMatchObject({
      n: { fixed: 16 },
      p: { fixed: 4 },
      res: { fixed: 1 },
      nodes: { fixed: 4 },
    });
  });

  it('rejects an unknown variant, naming the known ones', async () => {
    const { code, err } = await capture(search, ['--data', '/d', '--variant', 'segnas5']);
    expect(code).toBe(2);
    expect(err).toMatch(/--variant segnas5: unknown; known: segnas11, segnas4, segnas7, unet3d, vnet/);
  });

  it('needs --data and explains bad numbers by option', async () => {
    expect((await capture(search, [])).err).toMatch(/--data is required/);
    expect((await capture(search, ['--data', '/d', '--epochs', '0'])).err).toMatch(
      /--epochs must be an integer ≥ 1 \(got 0\)/,
    );
  });

  it('names the bounds file and the field that is wrong', async () => {
    const file = join(workspace(), 'bounds.json');
    writeFileSync(
      file,
      JSON.stringify({
        n: { lo: 9, hi: 8 },
        p: { fixed: 2 },
        sup: { fixed: 0 },
        res: { fixed: 0 },
        nodes: { fixed: 2 },
        ops: [{ fixed: 2 }],
      }),
    );
    const { code, err } = await capture(search, ['--data', '/d', '--bounds', file]);
    expect(code).toBe(2);
    expect(err).toContain(file);
    expect(err).toMatch(/\bn\b/);
  });

  it('refuses a size that p cannot halve down exactly, before any training', async () => {
    const ws = workspace();
    const { code, err } = await capture(search, ['--data', ws, '--size', '48', '--workspace', ws]);
    expect(code).toBe(1);
    expect(err).toMatch(/training\.size: 48 must be divisible by 2\^5 = 32/);
  });
});

describe('segnas list / show / resume / evaluate', () => {
  function seeded(): { ws: string; id: number } {
    const ws = workspace();
    const store = openStore(ws);
    const e = store.createExperiment({
      name: 'segnas4 on phantoms',
      config: experimentConfig({ datasetPath: '/data/phantom', extra: { requestedBackend: 'auto' } }),
      datasetFingerprint: 'f',
      seeds: { search: 1, split: 1 },
      splits: [{ train: ['a'], validation: ['b'], test: ['c'] }],
      backend: 'wasm',
      device: 'CPU (WebAssembly)',
      softwareVersion: '0.1.0',
      status: 'paused',
    });
    const spec = {
      n: 12,
      p: 3,
      sup: true,
      res: false,
      block: { nodes: 3 as const, ops: [2, 0, 2] as (0 | 2)[] },
      extras: {},
    };
    store.recordCandidate(
      e.id,
      { seq: 0, x: [12.5, 3.2, 1.5, 0.3], key: 'k12', spec },
      {
        status: 'trained',
        f: -Math.log(0.8),
        valDice: 0.8,
        peakMemoryBytes: 2 ** 27,
        cacheScope: 'experiment:1',
      },
    );
    // A candidate that never learned: Dice 0 after every epoch, loss flat.
    store.recordCandidateStart(e.id, {
      seq: 1,
      x: [29.5, 4.2, 1.5, 1.3],
      key: 'k29',
      spec: { ...spec, n: 29 },
    });
    [5.236, 5.216, 5.2].forEach((loss, i) => {
      store.appendEpoch(e.id, 1, { epoch: i + 1, loss, valDice: 0, seconds: 1 });
    });
    store.recordCandidateEnd(e.id, 1, { status: 'trained', f: -Math.log(1e-4), valDice: 0 });
    // Trained on a cluster: the store records each candidate's Slurm job.
    store.putCandidateJob({
      experimentId: e.id,
      seq: 1,
      jobId: '4711',
      state: 'COMPLETED',
      node: 'node07',
      attempts: 2,
    });
    // Left running by a process that no longer exists: pid 2^22 + 1 is above Linux's pid_max default.
    store.updateExperimentStatus(e.id, 'running', {
      owner: { pid: 4_194_305, host: hostname() },
    });
    store.close();
    return { ws, id: e.id };
  }

  it('lists experiments and marks one left running by a dead process as interrupted', async () => {
    const { ws, id } = seeded();
    const { code, out } = await capture(list, ['--workspace', ws]);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^${id}\\s+interrupted\\s+2/300\\s+0\\.800\\s+segnas4`, 'm'));
    expect(out).toContain(`segnas resume ${id}`);
    const json = JSON.parse((await capture(list, ['--json', '--workspace', ws])).out);
    expect(json[0]).toMatchObject({ id, status: 'interrupted', total: 2 });
  });

  it('says so when the workspace is empty', async () => {
    expect((await capture(list, ['--workspace', workspace()])).out).toMatch(/no experiments yet/);
    expect(JSON.parse((await capture(list, ['--json', '--workspace', workspace()])).out)).toEqual([]);
  });

  it('shows one experiment as text and as JSON', async () => {
    const { ws, id } = seeded();
    const text = (await capture(show, [String(id), '--workspace', ws])).out;
    expect(text).toMatch(/#0 {2}0\.800 .*params, 128\.0 MiB peak {2}n 12, p 3, sup on, res off/);
    expect(text).toMatch(/#1 {2}0\.000 did not learn \(loss flat, all background\) .*n 29, p 3/);
    expect(text).not.toMatch(/#0 .*did not learn/);
    expect(text).toContain(`segnas evaluate ${id}`);
    // What the search's 'auto' became.
    expect(text).toContain('backend wasm (auto) (CPU (WebAssembly))');
    // Counts, training settings and seeds in words, not JSON; the Slurm job ids the store records.
    expect(text).toMatch(/2\/300 evaluations \(2 trained\)/);
    expect(text).toContain('training 32³, 10 epochs, batch 1, learning rate 0.001, augmentation on');
    expect(text).not.toMatch(/[{}"]/);
    expect(text).toMatch(/#1 {2}job 4711 {2}COMPLETED on node07, 2 submissions/);
    const json = JSON.parse((await capture(show, [String(id), '--json', '--workspace', ws])).out);
    expect(json.experiment.id).toBe(id);
    expect(json.candidates[0].valDice).toBe(0.8);
  });

  it('reports a missing experiment or id with what to do', async () => {
    const ws = workspace();
    expect((await capture(show, ['7', '--workspace', ws])).err).toMatch(/no experiment 7 .*segnas list/);
    expect((await capture(resume, ['--workspace', ws])).err).toMatch(/needs an experiment id/);
    expect((await capture(resume, ['7', '--workspace', ws])).err).toMatch(/no experiment 7/);
    expect((await capture(evaluate, ['7', '--workspace', ws])).err).toMatch(/no experiment 7/);
  });

  it('every command explains itself with --help, including --workspace', async () => {
    for (const command of [search, resume, list, show, evaluate]) {
      const { code, out } = await capture(command, ['--help']);
      expect(code).toBe(0);
      expect(out).toContain('--workspace');
    }
  });
});

describe('progress output', () => {
  const candidate = {
    experimentId: 1,
    seq: 4,
    x: [8.2],
    key: 'k',
    spec: {
      n: 8,
      p: 2,
      sup: false,
      res: true,
      block: { nodes: 3 as const, ops: [2, 0, 2] as (0 | 2)[] },
      extras: {},
    },
    status: 'trained' as const,
    reason: null,
    f: 0.357,
    valDice: 0.7,
    perLabelDice: null,
    paramCount: 1,
    estMemoryBytes: 1,
    peakMemoryBytes: null,
    device: 'CPU',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:05.000Z',
    curve: [],
  };

  it('draws a bar with the current candidate, the best so far and the ETA', () => {
    const line = statusLine({
      done: 6,
      total: 12,
      etaSeconds: 3725,
      current: { seq: 7, what: 'n 8', epoch: 2 },
      best: { seq: 4, valDice: 0.7 },
    });
    expect(line).toBe('[############............] 6/12  #7 n 8 epoch 2  best #4 Dice 0.700  ETA 1h02m');
    expect(formatDuration(65)).toBe('1m05s');
  });

  it('prints one plain line per finished candidate when stdout is not a terminal', () => {
    const written: string[] = [];
    const out = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const printer = createProgressPrinter(out);
    const event: SearchEvent = {
      type: 'candidate-finished',
      experimentId: 1,
      candidate,
      progress: { done: 5, total: 12, etaSeconds: 70 },
    };
    printer(event);
    printer({
      type: 'epoch',
      experimentId: 1,
      seq: 5,
      point: { epoch: 1, loss: 1, valDice: 0.5, seconds: 1 },
    });
    expect(written).toEqual([`${eventLine(event)}\n`]);
    expect(written[0]).toBe(
      '#4 trained val Dice 0.700 f 0.357 in 1m05s  n 8, p 2, sup off, res on, 3-node block [Conv(3,1), None, Conv(3,1)]  [5/12, ETA 1m10s]\n',
    );
  });

  it('logs a final training about 20 times and its test Dice when stdout is not a terminal', () => {
    const written: string[] = [];
    const out = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const printer = createProgressPrinter(out);
    const progress = { done: 0, total: 1 };
    printer({ type: 'final-started', experimentId: 1, seq: 4, epochs: 100, progress });
    for (let epoch = 1; epoch <= 100; epoch++)
      printer({
        type: 'final-epoch',
        experimentId: 1,
        seq: 4,
        point: { epoch, loss: 0.5, learningRate: 1e-3 * (1 - (epoch - 1) / 100) ** 0.9, seconds: 3 },
        progress: { ...progress, etaSeconds: 3 * (100 - epoch) },
      });
    const epochLines = written.filter((l) => l.startsWith('final #4 epoch'));
    expect(epochLines).toHaveLength(20);
    expect(epochLines[0]).toBe('final #4 epoch 5/100 loss 0.500 lr 9.64e-4  [0/1, ETA 4m45s]\n');
    printer({
      type: 'final-finished',
      experimentId: 1,
      final: {
        experimentId: 1,
        seq: 4,
        epochs: 100,
        status: 'tested',
        reason: null,
        paramCount: 1,
        seconds: 300,
        curve: [],
        meanDice: 0.85,
        perLabelDice: { Anterior: 0.84, Posterior: 0.86 },
        perSubject: null,
        device: 'CPU',
        startedAt: null,
        endedAt: null,
      },
      progress: { done: 1, total: 1 },
    });
    expect(written.at(-1)).toBe(
      'final test Dice of candidate #4: 0.850  Anterior 0.840, Posterior 0.860 (trained in 5m00s)  [1/1]\n',
    );
  });

  it('says when a finished candidate did not learn', () => {
    const line = eventLine({
      type: 'candidate-finished',
      experimentId: 1,
      candidate: {
        ...candidate,
        valDice: 0,
        f: 9.21,
        curve: [
          { epoch: 1, loss: 5.236, valDice: 0, seconds: 1 },
          { epoch: 2, loss: 5.2, valDice: 0, seconds: 1 },
        ],
      },
      progress: { done: 5, total: 12 },
    });
    expect(line).toMatch(/^#4 trained val Dice 0\.000 did not learn \(loss flat, all background\) f 9\.210/);
  });
});
