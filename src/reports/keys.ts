/** Redis key names. Every key lives under one namespace so tests and tenants can share a Redis. */
export class Keys {
  constructor(readonly namespace = 'vulnbot') {}
  report(ghsaId: string): string {
    return `${this.namespace}:report:${ghsaId}`;
  }
  timeline(ghsaId: string): string {
    return `${this.namespace}:timeline:${ghsaId}`;
  }
  delivery(deliveryId: string): string {
    return `${this.namespace}:delivery:${deliveryId}`;
  }
  /** String: a webhook body (by its SHA-256, never the body itself) that was already handled. */
  deliveryBody(sha256: string): string {
    return `${this.namespace}:delivery-body:${sha256}`;
  }
  /** Hash: message key → Slack ts of each message posted once for a report. */
  posted(ghsaId: string): string {
    return `${this.namespace}:posted:${ghsaId}`;
  }
  /** Hash: effects a stored decision still owes (outbox id → effect JSON). */
  outbox(ghsaId: string): string {
    return `${this.namespace}:outbox:${ghsaId}`;
  }
  /** Set: GitHub owners seen in webhook deliveries, polled too. */
  owners(): string {
    return `${this.namespace}:owners`;
  }
  /** String: `updated_at` of the newest advisory seen for an owner (the poll stops there). */
  pollCursor(owner: string): string {
    return `${this.namespace}:poll-cursor:${owner}`;
  }
  /** String: `updated_at` of the newest advisory comment seen for a report (the next look's `since`). */
  commentsSince(ghsaId: string): string {
    return `${this.namespace}:comments-since:${ghsaId}`;
  }
  /** String: a lease on posting one message (report, key), held while it is posted. */
  claim(ghsaId: string, key: string): string {
    return `${this.namespace}:claim:${ghsaId}:${key}`;
  }
  /** Hash: reminder step → ISO time it was snoozed to. */
  snooze(ghsaId: string): string {
    return `${this.namespace}:snooze:${ghsaId}`;
  }
  /** String: the report a Slack channel belongs to. */
  channel(channelId: string): string {
    return `${this.namespace}:channel:${channelId}`;
  }
  /** Set: reports whose channel vulnbot archived (the audit alerts if one is unarchived). */
  archivedChannels(): string {
    return `${this.namespace}:archived-channels`;
  }
  /** Sorted set of open reports, scored by deadline (ms). */
  open(): string {
    return `${this.namespace}:open`;
  }
  /** String: a value sealed with the data key, so a start with the wrong key is refused. */
  dataKeyCheck(): string {
    return `${this.namespace}:data-key-check`;
  }
  /** Prefix BullMQ puts before its own keys. */
  bull(): string {
    return `${this.namespace}:bull`;
  }
}
