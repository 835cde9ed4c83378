/** GitHub at the edge: the Octokit factory and the advisory gateway vulnbot's effects call. */
export {
  createOctokit,
  DEFAULT_GITHUB_API_URL,
  type GitHubEnv,
  type OctokitOptions,
} from './octokit.js';
export {
  AdvisoryGateway,
  type AdvisoryList,
  type AdvisoryPatch,
  type AdvisorySnapshot,
  type Release,
  type SkippedAdvisory,
} from './advisories.js';
export { GitHubError } from './errors.js';
