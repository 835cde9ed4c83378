import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { AdvisoryGateway } from '../github/advisories.js';
import type { ReminderSchedule } from '../reminders/schedule.js';
import type { Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import type { SlackMessage } from '../slack/blocks.js';

export interface CommandDeps {
  store: ReportStore;
  github: AdvisoryGateway;
  schedule: ReminderSchedule;
  policy: Policy;
  slack: WebClient;
  log: Logger;
  now: () => Date;
}

/** Who ran the command, where, and the report of that channel (if it is a report channel). */
export interface CommandContext {
  userId: string;
  channelId: string;
  deps: CommandDeps;
}

export interface ReportContext extends CommandContext {
  report: Report;
}

/**
 * What a command answers: `channel` is posted in the report's channel for everyone (state
 * changes); `ephemeral` only to the caller (errors, help, lists).
 */
export interface CommandReply {
  channel?: SlackMessage;
  ephemeral?: string;
}

export function inChannel(text: string): CommandReply {
  return { channel: { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] } };
}

export function onlyToCaller(text: string): CommandReply {
  return { ephemeral: text };
}
