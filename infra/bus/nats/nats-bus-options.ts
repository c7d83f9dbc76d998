/** Where the NATS bus keeps its messages and dead letters, and how it talks to the server. */
export interface NatsBusOptions {
  /** JetStream stream holding the bus messages; defaults to `TESSERA_EVENTS`. */
  stream?: string;
  /** Subjects that stream covers; defaults to `['tessera.events.>']`. */
  subjects?: readonly string[];
  /** A message id seen within this window makes a publish a duplicate; defaults to 2 minutes. */
  duplicateWindowMs?: number;
  /** Messages older than this are dropped from the stream; 0 (the default) keeps them until other limits. */
  maxAgeMs?: number;
  /** Most messages the stream keeps, the oldest going first; -1 (the default) for no limit. */
  maxMessages?: number;
  /** Defaults to `file`; `memory` loses everything when the server restarts. */
  storage?: 'file' | 'memory';
  /** Copies of each stream in a cluster; defaults to 1. */
  replicas?: number;
  /** Stream holding dead letters; defaults to `TESSERA_DEAD_LETTERS`. */
  deadLetterStream?: string;
  /** Dead letters of consumer `c` go to `<prefix>.c`; defaults to `tessera.dead-letters`. */
  deadLetterSubjectPrefix?: string;
  /** Dead letters older than this are dropped; 0 (the default) keeps them. */
  deadLetterMaxAgeMs?: number;
  /**
   * How long one pull request waits at the server (at least 1 s); defaults to 30 s.
   * It also paces recovery: after a reconnect that finds JetStream not yet ready, the
   * client checks the consumer again only after about this long.
   */
  pullExpiresMs?: number;
  /** Pause before a consume loop that ended is started again; defaults to 1 s. */
  restartDelayMs?: number;
  /** Timeout of JetStream API requests and publish acks; defaults to 5 s. */
  requestTimeoutMs?: number;
}

/** Options for a bus that opens (and on close drains) its own connection. */
export interface NatsBusConnectOptions extends NatsBusOptions {
  servers: string | string[];
  /** Connection name shown in the server's monitoring; defaults to `tessera-bus`. */
  connectionName?: string;
}

export type NatsBusSettings = Required<NatsBusOptions>;

export function resolveNatsBusSettings(options: NatsBusOptions): NatsBusSettings {
  const settings: NatsBusSettings = {
    stream: options.stream ?? 'TESSERA_EVENTS',
    subjects: options.subjects ?? ['tessera.events.>'],
    duplicateWindowMs: options.duplicateWindowMs ?? 2 * 60 * 1000,
    maxAgeMs: options.maxAgeMs ?? 0,
    maxMessages: options.maxMessages ?? -1,
    storage: options.storage ?? 'file',
    replicas: options.replicas ?? 1,
    deadLetterStream: options.deadLetterStream ?? 'TESSERA_DEAD_LETTERS',
    deadLetterSubjectPrefix: options.deadLetterSubjectPrefix ?? 'tessera.dead-letters',
    deadLetterMaxAgeMs: options.deadLetterMaxAgeMs ?? 0,
    pullExpiresMs: options.pullExpiresMs ?? 30_000,
    restartDelayMs: options.restartDelayMs ?? 1000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
  };
  if (settings.pullExpiresMs < 1000) throw new TypeError('pullExpiresMs must be at least 1000');
  return settings;
}
