import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('policy durations', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect(parseDuration('6s')).toBe(6_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('14d')).toBe(1_209_600_000);
  });

  it('rejects anything else', () => {
    for (const bad of ['14', 'd', '1w', '-1d', '1.5d', '14 days', '']) {
      expect(parseDuration(bad)).toBeUndefined();
    }
  });

  it('writes the shortest spelling back', () => {
    expect(formatDuration(1_209_600_000)).toBe('14d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(7_200_000)).toBe('2h');
  });
});
