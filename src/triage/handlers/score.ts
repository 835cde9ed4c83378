import { scoreCvss } from '../../scoring/index.js';
import { escapeSlackText, mention } from '../../slack/escape.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

/** `/vuln score <vector>` (P5): validate, score exactly, write the vector to the advisory. */
export async function score(vector: string, ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  const result = scoreCvss(vector);
  if (!result.ok) return onlyToCaller(escapeSlackText(result.error));
  await deps.github.update(report.repo, report.ghsaId, { cvssVectorString: result.vector });
  const scoreText = result.score.toFixed(1);
  await deps.store.update(
    report.ghsaId,
    { cvssVector: result.vector, cvssScore: scoreText, severity: result.rating.toLowerCase() },
    {
      type: 'scored',
      vector: result.vector,
      score: result.score,
      rating: result.rating,
      at: deps.now().toISOString(),
      actor: userId,
    },
  );
  return inChannel(
    `:bar_chart: ${mention(userId)} scored ${report.ghsaId}: *${scoreText} ${result.rating}* (CVSS ${result.version}) \`${result.vector}\`. The vector is on the GitHub advisory.`,
  );
}
