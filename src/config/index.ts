export { loadConfig, loadPolicyFile, parsePolicy, ConfigError, type Config } from './load.js';
export type { Policy } from './policy.js';
export type { Env } from './env.js';
export { parseDuration, formatDuration } from './duration.js';
