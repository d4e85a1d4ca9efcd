import { describe, expect, it } from 'vitest';
import { isoToMs, msToIso } from '../../main/core/isoTime';

describe('ISO times of the store', () => {
  it('reads and writes exactly what Date does, across years, leap days and the ends of days', () => {
    const times = [
      0,
      -1,
      Date.UTC(2026, 10, 30, 18, 27, 12, 345),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      -62_167_219_200_000, // 0000-01-01
      -60_589_296_000_000, // 0050-01-01: Date.UTC alone would read it as 1950
    ];
    // Random times too, one per few years over the whole range.
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      times.push(Math.round((seed / 2 ** 31) * 315_537_897_599_999 - 62_167_219_200_000));
    }
    for (const ms of times) {
      const iso = new Date(ms).toISOString();
      expect(msToIso(ms)).toBe(iso);
      expect(isoToMs(iso)).toBe(ms);
    }
  });

  it('refuses any text that would not come back as itself', () => {
    for (const text of [
      '2026-02-30T00:00:00.000Z', // no such day
      '2025-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T23:60:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-01-01T00:00:00Z',
      '2026-01-01 00:00:00.000Z',
      '+012026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.0a0Z',
      'yesterday',
      '',
    ])
      expect(isoToMs(text), text).toBeNull();
    // Outside four-digit years and between milliseconds, msToIso is Date's own.
    expect(msToIso(253_402_300_800_000)).toBe('+010000-01-01T00:00:00.000Z');
    expect(msToIso(1.5)).toBe(new Date(1.5).toISOString());
  });
});
