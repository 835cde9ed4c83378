import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeServer, listenOnLoopback } from './loopback.js';
import { slashCommandForm, type SlashCommandInput } from './slackForms.js';

/** What the bot sent back on the socket for one envelope: Slack's `{ envelope_id, payload }`. */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

/** Slack's headers worth passing back from the Web API stand-in (rate limits, scopes). */
const PASSED_HEADERS = ['content-type', 'retry-after', 'x-oauth-scopes'];
const APP_ID = 'AVULNBOT';
/** Slack waits this long for an envelope's ack, then retries it (and later disables the app). */
const ACK_WITHIN_MS = 3_000;

/**
 * Slack's Socket Mode edge, on loopback: `apps.connections.open` answers the app-level token with
 * a `ws://` URL, and the WebSocket there says `hello`, then carries envelopes (slash commands,
 * Events API) to the bot and its acks back. Every other Web API call is passed on to the Slack
 * stand-in, so the bot needs one SLACK_API_URL, as with slack.com.
 */
export class SocketModeStandIn {
  readonly appToken = 'xapp-1-AVULNBOT-1-stand-in-app-token';
  /** How often the bot asked for a socket URL (`apps.connections.open`). */
  connectionsOpened = 0;
  /** The id of every envelope sent to the bot, in order. */
  readonly sent: string[] = [];
  /** Every message the bot sent on a socket, in order. */
  readonly received: SocketAck[] = [];
  private server: Server | undefined;
  private sockets: WebSocketServer | undefined;
  private readonly open = new Set<WebSocket>();
  private readonly waitingAcks = new Map<string, (ack: SocketAck) => void>();

  /** @param webApiUrl where other Web API calls go: the Slack stand-in's `…/api/`. */
  constructor(private readonly webApiUrl: string) {}

  /** The bot's SLACK_API_URL. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** Sockets the bot holds open now. */
  get connected(): number {
    return this.open.size;
  }

  async start(): Promise<this> {
    this.server = await listenOnLoopback((req, res) => {
      // A call that arrives after the Slack stand-in stopped gets what an unreachable Slack gives.
      this.handle(req, res).catch(() => res.writeHead(502).end());
    });
    this.sockets = new WebSocketServer({ server: this.server, path: '/link/' });
    this.sockets.on('connection', (socket) => {
      this.open.add(socket);
      socket.on('close', () => this.open.delete(socket));
      socket.on('message', (data) => this.onMessage(data.toString()));
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.open.size,
          debug_info: { host: 'stand-in', approximate_connection_time: 18_060 },
          connection_info: { app_id: APP_ID },
        }),
      );
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.terminate();
    await new Promise<void>((resolve) =>
      this.sockets ? this.sockets.close(() => resolve()) : resolve(),
    );
    await closeServer(this.server);
  }

  /** `/vuln <text>` by `user` in `channel`: the same fields as the HTTP form. Resolves with its ack. */
  slashCommand(opts: SlashCommandInput): Promise<SocketAck> {
    return this.send('slash_commands', true, {
      ...slashCommandForm(opts),
      api_app_id: APP_ID,
      is_enterprise_install: 'false',
    });
  }

  /** An Events API delivery of `event`. Resolves with its ack. */
  event(event: Record<string, unknown>): Promise<SocketAck> {
    return this.send('events_api', false, {
      token: 'legacy-verification-token',
      team_id: 'TTEAM',
      api_app_id: APP_ID,
      event,
      type: 'event_callback',
      event_id: `Ev${randomUUID().slice(0, 8).toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: 'TTEAM', user_id: 'UBOTVULN', is_bot: true }],
      is_ext_shared_channel: false,
    });
  }

  /** Sends one envelope on the bot's socket; resolves with the bot's ack of it. */
  private send(
    type: string,
    acceptsResponsePayload: boolean,
    payload: Record<string, unknown>,
  ): Promise<SocketAck> {
    const [socket] = this.open;
    if (!socket) return Promise.reject(new Error('the bot holds no Socket Mode connection'));
    const envelopeId = randomUUID();
    this.sent.push(envelopeId);
    const acked = new Promise<SocketAck>((resolve, reject) => {
      const late = setTimeout(() => {
        this.waitingAcks.delete(envelopeId);
        reject(new Error(`the ${type} envelope was not acknowledged within ${ACK_WITHIN_MS} ms`));
      }, ACK_WITHIN_MS);
      this.waitingAcks.set(envelopeId, (ack) => {
        clearTimeout(late);
        resolve(ack);
      });
    });
    socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        accepts_response_payload: acceptsResponsePayload,
        ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
        payload,
      }),
    );
    return acked;
  }

  private onMessage(text: string): void {
    const message = JSON.parse(text) as SocketAck;
    this.received.push(message);
    this.waitingAcks.get(message.envelope_id)?.(message);
    this.waitingAcks.delete(message.envelope_id);
  }

  private get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  /** Slack opens sockets for app-level tokens only. */
  private connectionsOpen(authorization: string): Record<string, unknown> {
    const token = authorization.replace(/^Bearer /, '');
    if (token !== this.appToken) {
      return {
        ok: false,
        error: token.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth',
      };
    }
    this.connectionsOpened++;
    const ticket = randomUUID();
    return { ok: true, url: `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}&app_id=${APP_ID}` };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    if (method === 'apps.connections.open') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.connectionsOpen(req.headers.authorization ?? '')));
      return;
    }
    const forwarded = await fetch(new URL(req.url ?? '', this.webApiUrl.replace(/\/api\/$/, '/')), {
      method: req.method ?? 'POST',
      headers: Object.fromEntries(
        ['content-type', 'authorization']
          .map((name) => [name, req.headers[name]])
          .filter((pair): pair is [string, string] => typeof pair[1] === 'string'),
      ),
      ...(body.length > 0 ? { body } : {}),
    });
    const headers = Object.fromEntries(
      PASSED_HEADERS.flatMap((name) => {
        const value = forwarded.headers.get(name);
        return value === null ? [] : [[name, value]];
      }),
    );
    res.writeHead(forwarded.status, headers);
    res.end(Buffer.from(await forwarded.arrayBuffer()));
  }
}
