import { assign } from './assign.js';
import { close } from './close.js';
import type { Subcommand } from './command.js';
import { credit } from './credit.js';
import { cve } from './cve.js';
import { cwe } from './cwe.js';
import { fix } from './fix.js';
import { fork } from './fork.js';
import { help } from './help.js';
import { list } from './list.js';
import { note } from './note.js';
import { publish } from './publish.js';
import { reply } from './reply.js';
import { requestAccess } from './requestAccess.js';
import { score } from './score.js';
import { status } from './status.js';
import { triage } from './triage.js';

/** Every `/vuln` subcommand, in the order help lists them. A new one is a file and a line here. */
export const SUBCOMMANDS: readonly Subcommand[] = [
  help,
  status,
  list,
  triage,
  assign,
  score,
  cwe,
  cve,
  fork,
  fix,
  credit,
  publish,
  close,
  note,
  reply,
  requestAccess,
];
