/**
 * The trainer protocol's types are its schemas (main/compute/protocol.ts): a parsed job is what the
 * trainer loop takes, without a cast, and a bad line is refused naming the field.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseToTrainer, type ToTrainer, type TrainJob } from '../../main/compute/protocol';
import type { NetworkOptions } from '../../main/train/segNet';
import type { TrainSettings } from '../../main/train/trainer';
import { tinyTrainJob } from './helpers/trainJobs';

const job: TrainJob = tinyTrainJob('c1', {
  size: 8,
  data: { train: [{ image: '/t/a.f32', label: '/t/a.u8' }], val: [] },
});

describe('trainer protocol', () => {
  it('types a parsed job as the trainer loop takes it (typecheck fails when they part)', () => {
    expectTypeOf<TrainJob['network']>().toExtend<NetworkOptions>();
    expectTypeOf<TrainJob['training']>().toExtend<TrainSettings>();
    expectTypeOf<ReturnType<typeof parseToTrainer>>().toEqualTypeOf<ToTrainer>();
  });

  it('reads back every message a caller writes', () => {
    const messages: ToTrainer[] = [
      { type: 'train', job },
      { type: 'predict', job: { id: 'p', model: '/m', images: ['/a.f32'], outputs: ['/a.u8'] } },
      { type: 'cancel', id: 'c1' },
      { type: 'shutdown' },
    ];
    for (const msg of messages) expect(parseToTrainer(JSON.stringify(msg))).toEqual(msg);
  });

  it('names the field of a bad job and the expected types of an unknown message', () => {
    const bad = { ...job, training: { ...job.training, epochs: 0 } };
    expect(() => parseToTrainer(JSON.stringify({ type: 'train', job: bad }))).toThrow(
      /train job: field 'job\.training\.epochs'/,
    );
    const predict = { id: 'p', model: '/m', images: ['/a.f32'], outputs: [] };
    expect(() => parseToTrainer(JSON.stringify({ type: 'predict', job: predict }))).toThrow(
      /predict job: field 'job\.outputs' must have one output path per image/,
    );
    expect(() => parseToTrainer('{"type":"run"}')).toThrow(/unknown message type 'run' \(expected train/);
    expect(() => parseToTrainer('7')).toThrow(/expected a JSON object/);
  });
});
