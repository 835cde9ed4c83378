import { addMilliseconds } from 'date-fns';
import type { Policy } from '../config/policy.js';

/** P4: the response is due `responseWindow` after the report was made. */
export function responseDeadline(policy: Policy, reportedAt: Date): Date {
  return addMilliseconds(reportedAt, policy.responseWindow);
}
