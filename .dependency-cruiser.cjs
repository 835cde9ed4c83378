/**
 * Layering rules for src/, checked by `npm run lint` (depcruise src --config .dependency-cruiser.cjs).
 * CommonJS because package.json says "type": "module".
 *
 * Layers, bottom to top:
 *   config                      a leaf: imports only itself (and npm packages / node builtins)
 *   policy, scoring, reports    pure core: no adapters, no I/O packages (reports/store.ts and
 *                               reports/keys.ts are the Redis edge and are exempt)
 *   slack, github               adapters: may use the core, never the command/listener layers
 *   commands, intake, jobs,     commands/effects: may use adapters, never listeners
 *   effects
 *   listeners                   the top
 * Nothing in src imports from test/, and there are no import cycles.
 *
 * test/lint/layering.test.ts cruises test/fixtures/layering/ with this file to prove the rules bite.
 */

/** Where adapters, I/O and entry points live: none of it may leak into the pure core. */
const NOT_CORE = '^src/(slack|github|intake|jobs|effects|listeners|commands|http|cli)/';
/**
 * npm packages that do I/O or belong to an adapter: resolved to .../node_modules/<pkg>/..., or the
 * bare name when unresolvable. Not anchored to the repo root, so a baseDir below it (the test's
 * fixture tree) still matches.
 */
const IO_PACKAGES = '(^|node_modules/)(ioredis|bullmq|pino|@slack/[^/]+|@octokit/[^/]+)(/|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order matter and layers meaningless. Break the cycle.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'pure-core',
      severity: 'error',
      comment:
        'policy/, scoring/ and reports/ (except the Redis edge: reports/store.ts, reports/keys.ts) ' +
        'are pure: no Slack, GitHub, Redis, queues, logging, HTTP, CLI or entry points.',
      from: {
        path: '^src/(policy|scoring|reports)/',
        pathNot: '^src/reports/(store|keys)\\.ts$',
      },
      to: { path: [NOT_CORE, IO_PACKAGES, '^src/(bot|main)\\.ts$'] },
    },
    {
      name: 'adapters-below-commands',
      severity: 'error',
      comment:
        'slack/ and github/ are adapters; they must not reach up into commands or listeners.',
      from: { path: '^src/(slack|github)/' },
      to: { path: '^src/(listeners|commands|intake|jobs|effects)/' },
    },
    {
      name: 'commands-below-listeners',
      severity: 'error',
      comment:
        'commands/, intake/, jobs/ and effects/ sit below listeners/ and must not import it.',
      from: { path: '^src/(commands|intake|jobs|effects)/' },
      to: { path: '^src/listeners/' },
    },
    {
      name: 'config-is-a-leaf',
      severity: 'error',
      comment: 'config/ is imported by everyone, so it imports nothing of ours outside config/.',
      from: { path: '^src/config/' },
      to: { pathNot: ['^src/config/', '(^|/)node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'no-test-imports',
      severity: 'error',
      comment: 'Production code must not import from test/.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep type-only imports: a type import still couples the layers.
    tsPreCompilationDeps: true,
    // Resolve as tsc does (NodeNext: `./x.js` in source means `./x.ts`).
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['types', 'import', 'require', 'node', 'default'],
      mainFields: ['types', 'typings', 'module', 'main'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
