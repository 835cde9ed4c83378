/**
 * The fault-injection suite (`npm run test:faults`): test/faults/*.fault.ts start real bot
 * processes (`node dist/main.js`), a redis-server of their own and the stand-ins, then kill and
 * restart them. One file at a time (they are heavy on a small machine); no global Redis: each
 * test starts its own, so it may kill it.
 */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.fault.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testTimeout: 240000,
  maxWorkers: 1,
};
