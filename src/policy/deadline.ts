import { addMilliseconds } from 'date-fns';
import type { Policy } from '../config/policy.js';

/** P4: the response is due `responseWindow` after the report was made. */
export function responseDeadline(policy: Policy, reportedAt: Date): Date {
  return addMilliseconds(reportedAt, policy.responseWindow);
}

/**
 * The second clock: a fix is due `fixWindow` after acceptance, by the severity's rating
 * (`critical`, `high`, …), else the `default` window.
 */
export function fixDeadline(policy: Policy, acceptedAt: Date, rating: string | undefined): Date {
  const windows: Partial<Record<string, number>> = policy.fixWindow;
  const window = (rating ? windows[rating.toLowerCase()] : undefined) ?? policy.fixWindow.default;
  return addMilliseconds(acceptedAt, window);
}
