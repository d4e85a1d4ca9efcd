/**
 * The file mode of the trainer protocol, for both engines: a job read from a file, ready/epoch/heartbeat
 * lines appended to an events file, the final message in a result file; and the caller's reading side,
 * which turns anything malformed into a reason instead of an exception.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTail, type FileModePaths, fileModeArgs, readResultFile } from '../../main/compute/fileProtocol';
import { type TrainJob, type VolumeFiles, writeVolumeFiles } from '../../main/compute/protocol';
import { pythonEnv } from '../../main/compute/python';
import { pytorchEngineDir, trainerEntry } from '../../main/compute/runtimeFiles';
import { phantomCases } from '../train/helpers/phantomCases';
import { torchPython } from './helpers/torchPython';
import { tinyTrainJob } from './helpers/trainJobs';

const S = 8;
let dir: string;
let data: { train: VolumeFiles[]; val: VolumeFiles[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segnas-filemode-'));
  const refs = await Promise.all(
    phantomCases(3, S, 3).map((c, i) => writeVolumeFiles(dir, `case${i}`, c.image, c.label)),
  );
  data = { train: refs.slice(0, 2), val: refs.slice(2) };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function job(id: string): TrainJob {
  return tinyTrainJob(id, { size: S, data, epochs: 2 });
}

/** Runs one engine's trainer in file mode to its exit. */
async function runFileMode(engine: 'tfjs' | 'pytorch', paths: FileModePaths): Promise<number | null> {
  const child =
    engine === 'tfjs'
      ? (() => {
          const entry = trainerEntry();
          return spawn(process.execPath, [...entry.execArgv, entry.modulePath, ...fileModeArgs(paths)], {
            cwd: entry.cwd,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
        })()
      : spawn(await torchPython(), ['-m', 'segnas_torch', '--device', 'cpu', ...fileModeArgs(paths)], {
          cwd: pytorchEngineDir(),
          env: { ...pythonEnv(process.env), SEGNAS_CPU_THREADS: '1' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0) console.error(stderr.slice(-2000));
      resolve(code);
    }),
  );
}

describe.each(['tfjs', 'pytorch'] as const)('file mode of the %s trainer', (engine) => {
  it('reads the job from a file, appends events with heartbeats and writes the result atomically', async () => {
    const base = join(dir, engine);
    const paths: FileModePaths = {
      jobFile: `${base}.job.json`,
      events: `${base}.events.ndjson`,
      result: `${base}.result.json`,
      heartbeatS: 0.05,
    };
    writeFileSync(paths.jobFile, JSON.stringify({ type: 'train', job: job(`${engine}-1`) }));
    // A stale result of an earlier run of the same (requeued) job is not this run's.
    writeFileSync(paths.result, '{"type":"result","id":"old"}');
    expect(await runFileMode(engine, paths)).toBe(0);
    const events = await new EventTail(paths.events).read();
    expect(events.every((e) => e.ok)).toBe(true);
    const types = events.map((e) => (e.ok ? e.msg.type : 'bad'));
    expect(types[0]).toBe('ready');
    expect(types.filter((t) => t === 'epoch')).toHaveLength(2);
    expect(types).toContain('heartbeat');
    const result = await readResultFile(paths.result);
    expect(result?.ok && result.msg).toMatchObject({ type: 'result', id: `${engine}-1`, status: 'done' });
  }, 120_000);

  it('answers a malformed job file with a failed result naming the field', async () => {
    const base = join(dir, `${engine}-bad`);
    const paths: FileModePaths = {
      jobFile: `${base}.job.json`,
      events: `${base}.events.ndjson`,
      result: `${base}.result.json`,
      heartbeatS: 1,
    };
    const bad = { ...job('bad'), training: { ...job('bad').training, epochs: 0 } };
    writeFileSync(paths.jobFile, JSON.stringify({ type: 'train', job: bad }));
    await runFileMode(engine, paths);
    const result = await readResultFile(paths.result);
    expect(result?.ok && result.msg.type === 'failed' && result.msg.reason).toMatch(/training\.epochs/);
  }, 120_000);
});

describe('reading a file-mode trainer back', () => {
  it('turns a malformed or partial line into a reason and waits for a line to be complete', async () => {
    const events = join(dir, 'tail.ndjson');
    writeFileSync(events, '{"type":"heartbeat","id":"j"}\n{"type":"epoch","id":"j","progress":');
    const tail = new EventTail(events);
    const first = await tail.read();
    expect(first).toEqual([{ ok: true, msg: { type: 'heartbeat', id: 'j' } }]);
    appendFileSync(events, 'null}\nnot json\n');
    const second = await tail.read();
    expect(second).toHaveLength(2);
    expect(second[0].ok === false && second[0].reason).toMatch(/progress/);
    expect(second[1].ok === false && second[1].reason).toMatch(/not JSON/);
    const result = join(dir, 'bad-result.json');
    writeFileSync(result, '{"type":"result","id":"j","status":"done","bestDice":2}');
    expect((await readResultFile(result))?.ok).toBe(false);
    expect(await readResultFile(join(dir, 'none.json'))).toBeUndefined();
    expect(await readFile(events, 'utf8')).toContain('not json');
  });
});
