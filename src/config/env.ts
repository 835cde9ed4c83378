import { z } from 'zod';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** Shared secrets shorter than this are refused: a guessable secret lets anyone forge requests. */
export const MIN_SECRET_LENGTH = 32;

/** Values that mean "not configured yet": `replace-me` (the .env.example value) and its kin. */
const PLACEHOLDER =
  /^(replace[-_ ]?me|change[-_ ]?me|changeit|secret|your[-_ ].*|x+|0+)$|replace[-_]me/i;

/**
 * A secret that signs requests: refused when it is a placeholder or too short, with a message that
 * says what to do and never repeats the value.
 */
function sharedSecret(required: string, advice: string) {
  return z
    .string()
    .min(1, required)
    .superRefine((value, ctx) => {
      if (value === '') return;
      if (PLACEHOLDER.test(value.trim())) {
        ctx.addIssue({ code: 'custom', message: `is a placeholder, not a secret; ${advice}` });
      } else if (value.length < MIN_SECRET_LENGTH) {
        ctx.addIssue({
          code: 'custom',
          message: `is too short (at least ${MIN_SECRET_LENGTH} characters); ${advice}`,
        });
      }
    });
}

export const MAKE_A_DATA_KEY = 'openssl rand -base64 32';

/** A 32-byte key in base64 (what `openssl rand -base64 32` prints); never echoed. */
const dataKey = z
  .string()
  .refine(
    (value) =>
      /^[A-Za-z0-9+/]+={0,2}$/.test(value.trim()) &&
      Buffer.from(value.trim(), 'base64').length === 32,
    `must be 32 bytes in base64; make one with \`${MAKE_A_DATA_KEY}\``,
  );

/** Environment variables of the runtime contract. Secrets are only ever checked, never echoed. */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().min(1, 'is required (the xoxb- bot token)'),
  SLACK_SIGNING_SECRET: sharedSecret(
    'is required (Basic Information → Signing Secret)',
    "copy the Signing Secret from your Slack app's page (api.slack.com/apps → Basic Information → " +
      'App Credentials; 32 hex characters)',
  ),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: url.optional(),
  /** Either GITHUB_TOKEN or the GITHUB_APP_* variables (checked by `githubAuthProblems`). */
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_APP_ID: z.string().optional(),
  /** The GitHub App's private key (PEM; `\n`-escaped line breaks accepted). Never echoed. */
  GITHUB_APP_PRIVATE_KEY: z.string().optional(),
  GITHUB_APP_PRIVATE_KEY_FILE: z.string().optional(),
  GITHUB_APP_INSTALLATION_ID: z.string().optional(),
  GITHUB_WEBHOOK_SECRET: sharedSecret(
    'is required (the secret of the GitHub webhook)',
    'make one with `openssl rand -hex 32` and set the same value as the Secret of the GitHub ' +
      'webhook (Settings → Webhooks)',
  ),
  GITHUB_API_URL: url.optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  VULNBOT_CONFIG: z.string().min(1).default('./vulnbot.yml'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Encrypts report text at rest (AES-256-GCM): 32 bytes, base64. */
  VULNBOT_DATA_KEY: dataKey.optional(),
  /** The previous data key, only for reading (until `vulnbot rekey` has moved everything). */
  VULNBOT_DATA_KEY_OLD: dataKey.optional(),
  /** `1`: run without VULNBOT_DATA_KEY, report text in clear (warned about at every start). */
  VULNBOT_ALLOW_PLAINTEXT: z.enum(['0', '1'], { error: 'must be 1 (or unset)' }).optional(),
});

export type Env = z.output<typeof envSchema>;

/**
 * Report text is encrypted at rest unless the operator says otherwise: without VULNBOT_DATA_KEY
 * the bot refuses to start, unless VULNBOT_ALLOW_PLAINTEXT=1.
 */
export function dataKeyProblems(
  env: Pick<Env, 'VULNBOT_DATA_KEY' | 'VULNBOT_DATA_KEY_OLD' | 'VULNBOT_ALLOW_PLAINTEXT'>,
): string[] {
  if (env.VULNBOT_DATA_KEY) return [];
  if (env.VULNBOT_DATA_KEY_OLD) {
    return [
      'VULNBOT_DATA_KEY_OLD: is only for reading: set VULNBOT_DATA_KEY too (the key to write with; ' +
        `make one with \`${MAKE_A_DATA_KEY}\`), then run \`vulnbot rekey\``,
    ];
  }
  if (env.VULNBOT_ALLOW_PLAINTEXT === '1') return [];
  return [
    'VULNBOT_DATA_KEY: is required (report text is encrypted at rest with it: 32 bytes, base64); ' +
      `make one with \`${MAKE_A_DATA_KEY}\` and keep it safe (the stored reports cannot be read ` +
      'without it), or set VULNBOT_ALLOW_PLAINTEXT=1 to store report text in clear (not recommended)',
  ];
}
