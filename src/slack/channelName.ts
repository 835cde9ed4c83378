/** Slack channel names: lowercase letters, digits, `-` and `_`, at most 80 characters. */
const MAX_LENGTH = 80;

/**
 * `vuln-<repo>-ghsa-xxxx-xxxx-xxxx`: the GHSA id keeps it unique, the repository name helps
 * people find it. The repository part is cut first when the name would be too long.
 */
export function reportChannelName(repo: string, ghsaId: string, attempt = 1): string {
  const id = ghsaId.toLowerCase();
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const repoName = repo.split('/').pop() ?? '';
  const slug = repoName
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  const room = MAX_LENGTH - 'vuln-'.length - id.length - suffix.length - 1;
  const repoPart = slug.slice(0, Math.max(0, room)).replace(/[-_]+$/, '');
  return ['vuln', repoPart, id].filter(Boolean).join('-') + suffix;
}
