/** A message on the bus. Subjects are dot-separated tokens, as in NATS. */
export interface BusMessage {
  /** Unique id: a second publish with the same id inside the dedup window is dropped. */
  id: string;
  subject: string;
  payload: Uint8Array;
  headers?: Readonly<Record<string, string>>;
}

export interface PublishResult {
  /** True when the bus already had a message with this id and dropped this one. */
  duplicate: boolean;
  /**
   * Resolves once the message no longer needs to be published again after a crash:
   * at once for a bus that persists it (JetStream), after every consumer has acked or
   * dead-lettered it for a bus that keeps nothing across restarts (in-process).
   */
  settled: Promise<void>;
}

/**
 * Thrown by a handler whose work is being done elsewhere right now (another process
 * holds the step): the message comes back after `delayMs` instead of the backoff.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** One delivery of a message to a consumer. */
export interface Delivery {
  message: BusMessage;
  /** 1 on the first delivery, counting up on each redelivery. */
  deliveryCount: number;
}

export interface ConsumeOptions {
  /** Durable consumer name: a restarted consumer with the same name resumes where it was. */
  consumer: string;
  /** Subjects to receive; `*` matches one token, `>` the rest. */
  subjects: readonly string[];
  /** Resolves when the work is durable (then the message is acked); throws to retry. */
  handler: (delivery: Delivery) => Promise<void>;
  /** Deliveries before a failing message goes to the dead-letter queue; defaults to 5. */
  maxDeliveries?: number;
  /** Delay before redelivery after the n-th failure (last entry repeats); defaults to [1000, 5000, 30000]. */
  backoffMs?: readonly number[];
  /** Messages handled at once; defaults to 1. */
  concurrency?: number;
  /** A delivery not acked within this time is redelivered; defaults to 30 s. */
  ackWaitMs?: number;
  /** Receives consumer status changes and handler errors that will be retried. */
  onEvent?: (event: ConsumerEvent) => void;
}

export type ConsumerEvent =
  | { kind: 'retrying'; messageId: string; deliveryCount: number; error: unknown }
  | { kind: 'dead-lettered'; messageId: string; deliveryCount: number; error: unknown }
  | { kind: 'status'; status: string };

export interface ConsumerHandle {
  /** Stops taking new messages and waits for those being handled. */
  stop(): Promise<void>;
}

/** A message that exhausted its deliveries, kept with the error that ended it. */
export interface DeadLetter {
  consumer: string;
  message: BusMessage;
  error: string;
  deliveryCount: number;
  failedAt: Date;
}

/** Moves messages from publishers to durable consumers with explicit ack and dead letters. */
export interface Bus {
  /** Publishes one message; resolves once the bus holds it. */
  publish(message: BusMessage): Promise<PublishResult>;

  /** Starts a durable consumer; messages published before it started are delivered too. */
  consume(options: ConsumeOptions): Promise<ConsumerHandle>;

  /**
   * The newest message the bus holds on subjects matching `subjects`, so a publisher
   * that crashed can resume after it. Buses that keep nothing across restarts omit it.
   */
  lastMessage?(subjects: string): Promise<BusMessage | undefined>;

  /** Lists the dead letters of one consumer, oldest first. */
  readDeadLetters(consumer: string, options?: { limit?: number }): Promise<DeadLetter[]>;

  /** Stops every consumer and releases the connection. */
  close(): Promise<void>;
}
