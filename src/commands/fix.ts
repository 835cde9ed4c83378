import { echoInput, splitFirst, subcommand } from './command.js';

export const fix = subcommand({
  name: 'fix',
  usage: '/vuln fix <version>',
  summary:
    'Records the version that ships the fix: only the next point release of the latest release or the next minor release (P9).',
  details: [
    'Only the most recent release is supported, with no backports: after v0.8.1 a fix ships in v0.8.2 (point release) or v0.9.0 (next release).',
    "The version is set as the patched version of the advisory's affected package of this repository.",
  ],
  example: '/vuln fix v0.8.2',
  access: ['fix'],
  inReportChannel: true,
  parse: (rest, fail) => {
    const [version, extra] = splitFirst(rest);
    if (version === '') return fail('Missing the version that ships the fix.');
    if (extra !== '') {
      return fail(
        `Unexpected extra arguments "${echoInput(extra)}": \`/vuln fix\` takes one version.`,
      );
    }
    return { ok: true, command: { kind: 'fix', version } };
  },
  run: async (command, ctx) => {
    const latest = await ctx.deps.github.latestRelease(ctx.report.repo);
    return ctx.lifecycle({ type: 'fix', version: command.version, latestTag: latest?.tag });
  },
});
