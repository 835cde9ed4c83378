import { noArguments, subcommand } from './command.js';

export const publish = subcommand({
  name: 'publish',
  usage: '/vuln publish',
  summary:
    'Checks the prerequisites, then publishes the advisory, announces it to the community and posts the release-notes entry.',
  details: [
    'Prerequisites: the report is accepted, has a severity score, a CVE id and a patched version, and that version is released (not a draft or pre-release) with notes that mention the advisory.',
    'The channel is archived `archiveAfter` after publication.',
  ],
  example: '/vuln publish',
  access: ['publish'],
  inReportChannel: true,
  parse: noArguments('publish'),
  run: async (_command, ctx) => {
    const { report, deps } = ctx;
    const release = report.patchedVersion
      ? await deps.github.releaseByTag(report.repo, report.patchedVersion)
      : undefined;
    return ctx.lifecycle({ type: 'publish', release });
  },
});
