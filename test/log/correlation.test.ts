import { reportWithChannel, GHSA, type ReportSetup } from '../commands/commandsSupport.js';
import { buttonClick, eventually, type LogCapture } from '../support/harness.js';
import { REPORT_ACTIONS } from '../../src/slack/blocks.js';

type Line = Record<string, unknown>;

function parsed(logs: LogCapture): Line[] {
  return logs.lines.map((line) => JSON.parse(line) as Line);
}

function linesSaying(logs: LogCapture, msg: string): Line[] {
  return parsed(logs).filter((line) => line['msg'] === msg);
}

/**
 * An operator follows one delivery, command or job through the logs by one id, whichever code
 * wrote the line (the ids ride along in the log context, not in each call).
 */
describe('correlation ids on log lines', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel();
  });
  afterEach(async () => {
    await r.h.close();
  });

  it('a delivery: the intake logs the delivery id the webhook route logs', async () => {
    const [handled] = linesSaying(r.h.logs, 'webhook handled');
    const [received] = linesSaying(r.h.logs, 'report received');
    expect(handled?.['deliveryId']).toEqual(expect.any(String));
    expect(received).toMatchObject({ deliveryId: handled?.['deliveryId'], ghsaId: GHSA });
  });

  it('a job: the work it does logs the job id', async () => {
    const [opened] = linesSaying(r.h.logs, 'report channel opened');
    expect(opened).toMatchObject({ jobId: `open-channel-${GHSA}`, ghsaId: GHSA });
  });

  it('each /vuln command and button: a request id of its own, and no delivery id', async () => {
    await r.vuln('USECMGR1', 'status');
    await r.vuln('UOUTSIDER', 'triage accept');
    await buttonClick(r.h.bot.port, {
      user: 'UOUTSIDER',
      channel: r.channel.id,
      actionId: REPORT_ACTIONS.accept,
      value: GHSA,
    });
    const lines = await eventually(() => {
      const found = parsed(r.h.logs).filter((line) =>
        ['command done', 'command refused'].includes(String(line['msg'])),
      );
      return found.length === 3 ? found : undefined;
    });
    expect(lines.map((line) => [line['command'], line['user']])).toEqual([
      ['status', 'USECMGR1'],
      ['triage', 'UOUTSIDER'],
      ['triage', 'UOUTSIDER'],
    ]);
    const ids = lines.map((line) => line['requestId']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(3);
    for (const line of lines) expect(line).not.toHaveProperty('deliveryId');
  });

  it('a burst of commands: each keeps its own request id while it waits its turn', async () => {
    const burst = 12; // more than run at once after the ack, so some wait in the queue
    await Promise.all(Array.from({ length: burst }, () => r.vuln('USECMGR1', 'status')));
    const done = await eventually(() => {
      const found = linesSaying(r.h.logs, 'command done');
      return found.length === burst ? found : undefined;
    });
    expect(new Set(done.map((line) => line['requestId'])).size).toBe(burst);
  });
});
