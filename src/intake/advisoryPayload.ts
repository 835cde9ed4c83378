import { z } from 'zod';
import {
  advisorySchema,
  problemsOf,
  REPO_NAME,
  toSnapshot,
  type AdvisorySnapshot,
} from '../github/advisoryJson.js';
import type { AdvisoryFacts } from '../reports/report.js';

/**
 * A `repository_advisory` delivery. Its advisory is the same object the REST API returns, so it
 * is checked by the same schema, where it enters; every field is reporter- or GitHub-controlled.
 * Messages name the field, never echo its value (which may be embargoed text).
 */
export const advisoryEventSchema = z.object({
  action: z.string().max(64),
  repository_advisory: advisorySchema,
  // GitHub owners have at most 39 characters and repository names 100.
  repository: z.object({
    full_name: z.string().max(140).regex(REPO_NAME, 'is not owner/name'),
  }),
  sender: z
    .object({ login: z.string().max(100) })
    .nullable()
    .default(null),
});

/** `sender` is who acted on GitHub: the reporter for `reported`, the publisher for `published`. */
export type AdvisoryEvent = {
  action: string;
  facts: AdvisoryFacts;
  snapshot: AdvisorySnapshot;
  sender: string | null;
};

export type ParseResult = { ok: true; event: AdvisoryEvent } | { ok: false; problems: string[] };

export function parseAdvisoryEvent(body: unknown): ParseResult {
  const result = advisoryEventSchema.safeParse(body);
  if (!result.success) return { ok: false, problems: problemsOf(result.error) };
  const { action, repository_advisory: advisory, repository, sender } = result.data;
  const snapshot = toSnapshot(advisory, repository.full_name);
  // Reported deliveries carry `author: null`; the reporter is whoever sent the report.
  const reporter = action === 'reported' ? (sender?.login ?? snapshot.reporter) : snapshot.reporter;
  return {
    ok: true,
    event: { action, facts: { ...snapshot, reporter }, snapshot, sender: sender?.login ?? null },
  };
}
