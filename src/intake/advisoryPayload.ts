import { z } from 'zod';
import { GHSA_ID, GITHUB_STATES, type AdvisoryFacts } from '../reports/report.js';

/**
 * The part of a `repository_advisory` delivery vulnbot reads. Every field is reporter- or
 * GitHub-controlled, so it is checked here, where it enters; the rest of the payload is ignored.
 * Messages name the field, never echo its value (which may be embargoed text).
 */
const timestamp = z.iso.datetime({ offset: true }).nullable();
const advisorySchema = z.object({
  ghsa_id: z.string().regex(GHSA_ID, 'is not a GHSA id'),
  cve_id: z
    .string()
    .regex(/^CVE-\d{4}-\d{4,}$/, 'is not a CVE id')
    .nullable()
    .default(null),
  html_url: z.url({ protocol: /^https$/ }),
  summary: z.string().max(1024),
  severity: z.string().max(32).nullable().default(null),
  state: z.enum(GITHUB_STATES),
  created_at: timestamp.default(null),
  updated_at: timestamp.default(null),
});

export const advisoryEventSchema = z.object({
  action: z.string(),
  repository_advisory: advisorySchema,
  repository: z.object({ full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/) }),
  sender: z
    .object({ login: z.string().max(100) })
    .nullable()
    .default(null),
});

export type AdvisoryEvent = { action: string; facts: AdvisoryFacts };

export type ParseResult = { ok: true; event: AdvisoryEvent } | { ok: false; problems: string[] };

export function parseAdvisoryEvent(body: unknown): ParseResult {
  const result = advisoryEventSchema.safeParse(body);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
    };
  }
  const { action, repository_advisory: advisory, repository, sender } = result.data;
  return {
    ok: true,
    event: {
      action,
      facts: {
        ghsaId: advisory.ghsa_id,
        repo: repository.full_name,
        htmlUrl: advisory.html_url,
        summary: advisory.summary,
        severity: advisory.severity,
        reporter: sender?.login ?? null,
        state: advisory.state,
        cveId: advisory.cve_id,
        createdAt: advisory.created_at,
        updatedAt: advisory.updated_at,
      },
    },
  };
}
