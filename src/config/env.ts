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

/** A Redis Sentinel's address. */
export interface SentinelAddress {
  host: string;
  port: number;
}

const SENTINEL_ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const SENTINELS_FORM =
  'must be host:port pairs separated by commas (e.g. sentinel-1:26379,sentinel-2:26379)';

/** `host:port,host:port,…` → the sentinels' addresses (an IPv6 host in brackets: `[::1]:26379`). */
const sentinelList = z.string().transform((value, ctx): SentinelAddress[] => {
  const addresses: SentinelAddress[] = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    const match = SENTINEL_ADDRESS.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port >= 1 && port <= 65_535)) {
      ctx.addIssue({ code: 'custom', message: SENTINELS_FORM });
      return z.NEVER;
    }
    addresses.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return addresses;
});

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
  /** Redis Sentinel: `host:port,host:port,…`; the master is asked of them (REDIS_URL's host unused). */
  REDIS_SENTINELS: sentinelList.optional(),
  /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[\w.-]+$/, 'must be a master group name (letters, digits, . _ -)')
    .optional(),
  /** The sentinels' own password (their `requirepass`), when they have one. Never echoed. */
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
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

/**
 * Redis Sentinel needs both the sentinels and the master group name; either alone is a mistake
 * (the bot would silently use REDIS_URL's host). Takes the raw environment; never echoes a value.
 */
export function redisSentinelProblems(
  env: Partial<
    Record<'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_SENTINEL_PASSWORD', unknown>
  >,
): string[] {
  const set = (value: unknown) => value !== undefined && value !== '';
  if (set(env.REDIS_SENTINELS)) {
    return set(env.REDIS_SENTINEL_NAME)
      ? []
      : [
          'REDIS_SENTINEL_NAME: is required when REDIS_SENTINELS is set (the master group name the ' +
            'sentinels monitor, as in `sentinel monitor <name> <host> <port> <quorum>`)',
        ];
  }
  const without = (['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const).filter((name) =>
    set(env[name]),
  );
  return without.length > 0
    ? [
        `REDIS_SENTINELS: is required when ${without.join(' or ')} is set (the sentinels, ` +
          'host:port,host:port,…); or unset it to use the Redis of REDIS_URL alone',
      ]
    : [];
}
