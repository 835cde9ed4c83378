export { needToKnowGroup, maintainersOf, rolesOf, type Role } from './needToKnow.js';
export { responseDeadline } from './deadline.js';
export {
  reminderPlan,
  pendingAfter,
  snoozeReminder,
  SNOOZE_OPTIONS,
  type PlannedReminder,
  type ReminderKind,
  type SnoozeResult,
} from './reminderPlan.js';
export { parseWorkingHours, nextWorkingTime, type WorkingHours } from './workingHours.js';
