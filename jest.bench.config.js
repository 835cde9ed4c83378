/** `npm run bench`: speed and memory targets, kept out of `npm test`. */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/bench'],
  testMatch: ['**/*.bench.ts'],
  testTimeout: 300000,
  maxWorkers: 1,
};
