export * from './report.js';
export type { TimelineEntry, TimelineEvent } from './timeline.js';
export { ReportStore, type StateChange } from './store.js';
export { Keys } from './keys.js';
