import type { CommandDeps } from '../commands/command.js';
import type { Membership } from '../jobs/membership.js';
import type { AfterAck } from './afterAck.js';

/** What every Slack listener is given. */
export type ListenerDeps = CommandDeps & { membership: Membership; afterAck: AfterAck };
