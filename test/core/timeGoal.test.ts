/** The time goal's notation, as the setup page and `segnas search --goal` read it. */
import { describe, expect, it } from 'vitest';
import { formatGoal, parseDuration } from '../../main/core/timeGoal';

describe('parseDuration', () => {
  it('reads hours, minutes, days and their mixes; a bare number is hours', () => {
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('45min')).toBe(2700);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration(' 2d ')).toBe(172_800);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('2')).toBe(7200);
  });

  it('refuses what is not a duration above zero', () => {
    for (const bad of ['', 'h', 'soon', '0', '0h', '-1h', '1x', '1h1h'])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('writes a goal back in the notation it reads', () => {
    for (const seconds of [3600, 5400, 2700, 172_800, 90_000])
      expect(parseDuration(formatGoal(seconds))).toBe(seconds);
  });
});
