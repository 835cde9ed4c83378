import { nextWorkingTime, parseWorkingHours } from '../../src/policy/workingHours.js';

const nineToSix = parseWorkingHours('09:00-18:00');
const iso = (date: Date): string => date.toISOString();
const next = (at: string, zone = 'UTC', hours = nineToSix): string =>
  iso(nextWorkingTime(new Date(at), hours, zone));

describe('parseWorkingHours', () => {
  it('reads HH:MM-HH:MM as minutes after local midnight', () => {
    expect(parseWorkingHours('09:00-18:00')).toEqual({ startMinute: 540, endMinute: 1080 });
    expect(parseWorkingHours('08:30-17:15')).toEqual({ startMinute: 510, endMinute: 1035 });
  });

  it('rejects malformed or inverted ranges', () => {
    for (const bad of ['9-5', '09:00', '09:00-24:00', '18:00-09:00', '09:00-09:00', '']) {
      expect(() => parseWorkingHours(bad)).toThrow(/working hours/);
    }
  });
});

describe('nextWorkingTime (UTC)', () => {
  it('returns the instant itself inside working hours, start inclusive', () => {
    const inside = new Date('2026-01-05T10:00:00Z'); // Monday
    expect(nextWorkingTime(inside, nineToSix, 'UTC')).toBe(inside);
    const atStart = new Date('2026-01-07T09:00:00.000Z'); // Wednesday
    expect(nextWorkingTime(atStart, nineToSix, 'UTC')).toBe(atStart);
    expect(next('2026-01-09T17:59:59.999Z')).toBe('2026-01-09T17:59:59.999Z'); // Friday
  });

  it('treats the end as exclusive: 18:00 sharp is the next morning', () => {
    expect(next('2026-01-05T18:00:00.000Z')).toBe('2026-01-06T09:00:00.000Z');
  });

  it('moves an evening to the next morning', () => {
    expect(next('2026-01-06T20:15:00Z')).toBe('2026-01-07T09:00:00.000Z'); // Tue → Wed
  });

  it('moves a time before the start to the same day’s start', () => {
    expect(next('2026-01-07T06:42:10Z')).toBe('2026-01-07T09:00:00.000Z'); // Wednesday
  });

  it('moves Friday after hours, Saturday and Sunday to Monday’s start', () => {
    expect(next('2026-01-09T19:00:00Z')).toBe('2026-01-12T09:00:00.000Z'); // Friday evening
    expect(next('2026-01-10T12:00:00Z')).toBe('2026-01-12T09:00:00.000Z'); // Saturday noon
    expect(next('2026-01-11T23:59:00Z')).toBe('2026-01-12T09:00:00.000Z'); // Sunday night
    expect(next('2026-01-10T07:00:00Z')).toBe('2026-01-12T09:00:00.000Z'); // Saturday early
  });

  it('uses minutes of a non-whole-hour start and end', () => {
    const hours = parseWorkingHours('08:30-17:15');
    expect(next('2026-01-05T08:29:00Z', 'UTC', hours)).toBe('2026-01-05T08:30:00.000Z');
    expect(next('2026-01-05T17:14:00Z', 'UTC', hours)).toBe('2026-01-05T17:14:00.000Z');
    expect(next('2026-01-05T17:15:00Z', 'UTC', hours)).toBe('2026-01-06T08:30:00.000Z');
  });
});

describe('nextWorkingTime in a time zone', () => {
  it('judges the weekday and the hours in local time, not UTC', () => {
    // Friday 23:30 UTC is already Saturday 00:30 in Berlin → Monday 09:00 CET.
    expect(next('2026-01-09T23:30:00Z', 'Europe/Berlin')).toBe('2026-01-12T08:00:00.000Z');
    // Monday 08:30 UTC is 09:30 in Berlin: inside.
    expect(next('2026-01-12T08:30:00Z', 'Europe/Berlin')).toBe('2026-01-12T08:30:00.000Z');
    // Monday 17:30 UTC is 18:30 in Berlin: after hours → Tuesday 09:00 CET.
    expect(next('2026-01-12T17:30:00Z', 'Europe/Berlin')).toBe('2026-01-13T08:00:00.000Z');
    // Sunday 22:00 in New York (EST) is Monday 03:00 UTC: still the weekend locally.
    expect(next('2026-01-12T03:00:00Z', 'America/New_York')).toBe('2026-01-12T14:00:00.000Z');
  });

  it('keeps 09:00 local across the Berlin spring change (2026-03-29)', () => {
    // Friday before: 07:00 CET (+01:00) → 09:00 CET = 08:00 UTC.
    expect(next('2026-03-27T06:00:00Z', 'Europe/Berlin')).toBe('2026-03-27T08:00:00.000Z');
    // Friday 20:00 CET → Monday 09:00 CEST (+02:00) = 07:00 UTC.
    expect(next('2026-03-27T19:00:00Z', 'Europe/Berlin')).toBe('2026-03-30T07:00:00.000Z');
    // On the change itself (Sunday) → Monday 09:00 CEST.
    expect(next('2026-03-29T01:30:00Z', 'Europe/Berlin')).toBe('2026-03-30T07:00:00.000Z');
    // Monday 08:00 CEST = 06:00 UTC → 09:00 CEST the same day.
    expect(next('2026-03-30T06:00:00Z', 'Europe/Berlin')).toBe('2026-03-30T07:00:00.000Z');
  });

  it('keeps 09:00 local across the Berlin autumn change (2026-10-25)', () => {
    // Friday before: 08:00 CEST = 06:00 UTC → 09:00 CEST = 07:00 UTC.
    expect(next('2026-10-23T06:00:00Z', 'Europe/Berlin')).toBe('2026-10-23T07:00:00.000Z');
    // Friday 19:00 CEST → Monday 09:00 CET (+01:00) = 08:00 UTC.
    expect(next('2026-10-23T17:00:00Z', 'Europe/Berlin')).toBe('2026-10-26T08:00:00.000Z');
    // Sunday, in the repeated hour (02:30 CET) → Monday 09:00 CET.
    expect(next('2026-10-25T01:30:00Z', 'Europe/Berlin')).toBe('2026-10-26T08:00:00.000Z');
    // Monday 17:59 CET = 16:59 UTC is still inside; 17:00 UTC (18:00 CET) is not.
    expect(next('2026-10-26T16:59:00Z', 'Europe/Berlin')).toBe('2026-10-26T16:59:00.000Z');
    expect(next('2026-10-26T17:00:00Z', 'Europe/Berlin')).toBe('2026-10-27T08:00:00.000Z');
  });

  it('keeps 09:00 local across the New York spring change (2026-03-08)', () => {
    // Friday before: 07:00 EST (-05:00) → 09:00 EST = 14:00 UTC.
    expect(next('2026-03-06T12:00:00Z', 'America/New_York')).toBe('2026-03-06T14:00:00.000Z');
    // Saturday noon EST → Monday 09:00 EDT (-04:00) = 13:00 UTC.
    expect(next('2026-03-07T17:00:00Z', 'America/New_York')).toBe('2026-03-09T13:00:00.000Z');
    // Friday 18:00 EST sharp (end exclusive) → Monday 09:00 EDT.
    expect(next('2026-03-06T23:00:00Z', 'America/New_York')).toBe('2026-03-09T13:00:00.000Z');
  });
});
