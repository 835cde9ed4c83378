/** Redis key names. Every key lives under one namespace so tests and tenants can share a Redis. */
export class Keys {
  constructor(readonly namespace = 'vulnbot') {}
  report(ghsaId: string): string {
    return `${this.namespace}:report:${ghsaId}`;
  }
  /** List: the report's timeline entries, oldest first. */
  timeline(ghsaId: string): string {
    return `${this.namespace}:timeline-list:${ghsaId}`;
  }
  /**
   * Stream: a timeline as versions before the list stored it, read only to move it into the
   * list. A name apart from the list's, so that a replica of an older version still running
   * during a deploy writes into a stream (picked up at the next start) and never fails on a list.
   */
  timelineStream(ghsaId: string): string {
    return `${this.namespace}:timeline:${ghsaId}`;
  }
  /** String: a handled webhook delivery (by its body's SHA-256, never the body) → its delivery id. */
  delivery(bodyDigest: string): string {
    return `${this.namespace}:delivery:${bodyDigest}`;
  }
  /** Hash: message key → Slack ts of each message posted once for a report. */
  posted(ghsaId: string): string {
    return `${this.namespace}:posted:${ghsaId}`;
  }
  /** Hash: effects a stored decision still owes (outbox id → effect JSON). */
  outbox(ghsaId: string): string {
    return `${this.namespace}:outbox:${ghsaId}`;
  }
  /** Set: reports whose outbox holds effects (reconcile drains these without a keyspace scan). */
  outboxes(): string {
    return `${this.namespace}:outboxes`;
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
  /**
   * Sorted set: every open report, scored by its running clock's deadline (ms): the App Home of
   * those who see every report (security managers, steering committee), soonest first.
   */
  homeAll(): string {
    return `${this.namespace}:home-all`;
  }
  /**
   * Sorted set: the open reports one person sees as a maintainer or by an access grant, scored
   * as `homeAll`: their App Home reads only these.
   */
  home(user: string): string {
    return `${this.namespace}:home:${user}`;
  }
  /** Set: the people with a `home` index (a rebuild drops those no longer in any group). */
  homeUsers(): string {
    return `${this.namespace}:home-users`;
  }
  /** String: a change the person's App Home does not show yet (until their refresh job runs). */
  homeDirty(user: string): string {
    return `${this.namespace}:home-dirty:${user}`;
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
