import { tz } from '@date-fns/tz';
import { addDays, isWeekend, set } from 'date-fns';

/** A daily working period, Monday to Friday, in minutes after local midnight (end exclusive). */
export interface WorkingHours {
  startMinute: number;
  endMinute: number;
}

const WORKING_HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** Reads the policy's `workingHours` ('09:00-18:00'); throws on anything else. */
export function parseWorkingHours(text: string): WorkingHours {
  const match = WORKING_HOURS.exec(text.trim());
  if (!match) throw new Error(`working hours "${text}" must look like 09:00-18:00`);
  const startMinute = Number(match[1]) * 60 + Number(match[2]);
  const endMinute = Number(match[3]) * 60 + Number(match[4]);
  if (startMinute >= endMinute) {
    throw new Error(`working hours "${text}" must start before they end`);
  }
  return { startMinute, endMinute };
}

/**
 * The first instant at or after `at` that is inside working hours in `timeZone`: `at` itself when
 * it already is (weekday, start inclusive, end exclusive), otherwise the start of the next working
 * period (that day's start if it is a weekday before the start, else the next weekday's start),
 * as wall-clock time in `timeZone`, so 09:00 stays 09:00 local across DST changes.
 */
export function nextWorkingTime(at: Date, hours: WorkingHours, timeZone: string): Date {
  const zone = tz(timeZone);
  const local = zone(at);
  const msOfDay =
    ((local.getHours() * 60 + local.getMinutes()) * 60 + local.getSeconds()) * 1000 +
    local.getMilliseconds();
  const weekday = !isWeekend(local);
  if (weekday && msOfDay >= hours.startMinute * 60_000 && msOfDay < hours.endMinute * 60_000) {
    return at;
  }
  // Pick the day first, then put the start time on it, so a start time that a DST change skips on
  // one day does not drift onto the following days.
  let day = local;
  if (!weekday || msOfDay >= hours.startMinute * 60_000) day = addDays(day, 1, { in: zone });
  while (isWeekend(day, { in: zone })) day = addDays(day, 1, { in: zone });
  const start = set(
    day,
    {
      hours: Math.floor(hours.startMinute / 60),
      minutes: hours.startMinute % 60,
      seconds: 0,
      milliseconds: 0,
    },
    { in: zone },
  );
  return new Date(start.getTime());
}
