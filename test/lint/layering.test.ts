import { resolve } from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/**
 * Proves the layering rules in .dependency-cruiser.cjs bite: cruises test/fixtures/layering/, a
 * small tree shaped like src/ (baseDir is that folder, so its paths read `src/...`), with the
 * real config, and checks each rule fires on its bad file and stays quiet on the clean ones.
 */
const ROOT = process.cwd();
const FIXTURE = resolve(ROOT, 'test/fixtures/layering');
const TSCONFIG = resolve(ROOT, 'tsconfig.json');

describe('layering rules (.dependency-cruiser.cjs)', () => {
  let result: ICruiseResult;
  let violations: IViolation[];

  beforeAll(async () => {
    const options = await extractDepcruiseOptions(resolve(ROOT, '.dependency-cruiser.cjs'));
    const reported = await cruise(
      ['src'],
      {
        ...options,
        baseDir: FIXTURE,
        tsConfig: { fileName: TSCONFIG },
        outputType: 'json',
      },
      {},
      { tsConfig: extractTSConfig(TSCONFIG) },
    );
    result =
      typeof reported.output === 'string'
        ? (JSON.parse(reported.output) as ICruiseResult)
        : reported.output;
    violations = result.summary.violations;
  }, 60_000);

  const reportedRules = (from: string): string[] =>
    violations.filter((v) => v.from === from).map((v) => v.rule.name);

  it('cruises the whole fixture tree and resolves every import (`./x.js` is `./x.ts`)', () => {
    const sources = result.modules.map((m) => m.source).filter((s) => s.startsWith('src/'));
    expect(sources).toEqual(
      expect.arrayContaining([
        'src/policy/bad.ts',
        'src/slack/thing.ts',
        'src/triage/cycleA.ts',
        'src/cli/usesTest.ts',
      ]),
    );
    const unresolved = result.modules.flatMap((m) =>
      m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.module}`),
    );
    expect(unresolved).toEqual([]);
  });

  it.each([
    ['pure-core', 'src/policy/bad.ts', 'src/slack/thing.ts'],
    ['pure-core', 'src/policy/badEntry.ts', 'src/main.ts'],
    ['adapters-below-commands', 'src/github/up.ts', 'src/jobs/job.ts'],
    ['commands-below-listeners', 'src/commands/up.ts', 'src/listeners/listener.ts'],
    ['config-is-a-leaf', 'src/config/bad.ts', 'src/policy/ok.ts'],
    ['no-test-imports', 'src/cli/usesTest.ts', 'test/helper.ts'],
  ])('%s: reports %s -> %s', (rule, from, to) => {
    expect(violations).toContainEqual(
      expect.objectContaining({ rule: expect.objectContaining({ name: rule }), from, to }),
    );
  });

  it('pure-core: reports an I/O npm package imported by the core', () => {
    const v = violations.find((x) => x.from === 'src/scoring/x.ts');
    expect(v?.rule.name).toBe('pure-core');
    expect(v?.to).toMatch(/node_modules\/ioredis\//);
  });

  it('no-circular: reports a pair of modules importing each other', () => {
    const cycle = violations.find((v) => v.rule.name === 'no-circular');
    expect(cycle).toBeDefined();
    expect([cycle?.from, cycle?.to].sort()).toEqual([
      'src/triage/cycleA.ts',
      'src/triage/cycleB.ts',
    ]);
  });

  it.each([
    'src/slack/uses-policy.ts',
    'src/policy/ok.ts',
    'src/reports/store.ts',
    'src/reports/keys.ts',
    'src/reports/report.ts',
    'src/config/good.ts',
  ])('does not report the clean file %s', (file) => {
    expect(reportedRules(file)).toEqual([]);
  });

  it('reports nothing but the deliberate violations', () => {
    // A cycle is reported once, from whichever member the cruise reached first.
    const seen = violations.map((v) =>
      v.rule.name === 'no-circular' ? 'no-circular' : `${v.rule.name}: ${v.from}`,
    );
    expect(seen.sort()).toEqual([
      'adapters-below-commands: src/github/up.ts',
      'commands-below-listeners: src/commands/up.ts',
      'config-is-a-leaf: src/config/bad.ts',
      'no-circular',
      'no-test-imports: src/cli/usesTest.ts',
      'pure-core: src/policy/bad.ts',
      'pure-core: src/policy/badEntry.ts',
      'pure-core: src/scoring/x.ts',
    ]);
  });
});
