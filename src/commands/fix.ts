import { echoInput, splitFirst, subcommand } from './command.js';

export const fix = subcommand({
  name: 'fix',
  usage: '/vuln fix <version>',
  summary:
    'Records the version that ships the fix: only the next point release of the latest release or the next minor release (P9).',
  details: [
    'Only the most recent release is supported, with no backports: after v0.8.1 a fix ships in v0.8.2 (point release) or v0.9.0 (next release).',
    "The version is set as the patched version of the advisory's affected package of this repository.",
    "A private report's package often has no ecosystem, which GitHub requires: the policy's `repos: { owner/name: { package: { ecosystem, name } } }` fills it; without one, the version is recorded in vulnbot only.",
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
    const { repo, ghsaId } = ctx.report;
    const latest = await ctx.deps.github.latestRelease(repo);
    const packageMissing = await ctx.deps.github.affectedPackageMissing(repo, ghsaId);
    return ctx.lifecycle({
      type: 'fix',
      version: command.version,
      latestTag: latest?.tag,
      packageMissing,
    });
  },
});
