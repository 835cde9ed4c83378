import { z } from 'zod';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** Environment variables of the runtime contract. Secrets are only ever checked, never echoed. */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().min(1, 'is required (the xoxb- bot token)'),
  SLACK_SIGNING_SECRET: z.string().min(1, 'is required (Basic Information → Signing Secret)'),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: url.optional(),
  GITHUB_TOKEN: z.string().min(1, 'is required (a token with security-advisories write access)'),
  GITHUB_WEBHOOK_SECRET: z.string().min(1, 'is required (the secret of the GitHub webhook)'),
  GITHUB_API_URL: url.optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  VULNBOT_CONFIG: z.string().min(1).default('./vulnbot.yml'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.output<typeof envSchema>;
