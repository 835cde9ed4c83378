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
  /** Hash: message key → Slack ts of each message posted once for a report. */
  posted(ghsaId: string): string {
    return `${this.namespace}:posted:${ghsaId}`;
  }
  /** Hash: reminder step → ISO time it was snoozed to. */
  snooze(ghsaId: string): string {
    return `${this.namespace}:snooze:${ghsaId}`;
  }
  /** String: the report a Slack channel belongs to. */
  channel(channelId: string): string {
    return `${this.namespace}:channel:${channelId}`;
  }
  /** Sorted set of open reports, scored by deadline (ms). */
  open(): string {
    return `${this.namespace}:open`;
  }
  /** Prefix BullMQ puts before its own keys. */
  bull(): string {
    return `${this.namespace}:bull`;
  }
}
