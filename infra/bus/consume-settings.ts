import { RetryLaterError, type ConsumeOptions, type ConsumerEvent, type Delivery } from './port.js';
import { assertSubjectPatterns } from './subject-pattern.js';

/** Consume options with the port's defaults filled in and checked once. */
export interface ConsumeSettings {
  consumer: string;
  subjects: readonly string[];
  handler: (delivery: Delivery) => Promise<void>;
  maxDeliveries: number;
  backoffMs: readonly number[];
  concurrency: number;
  ackWaitMs: number;
  onEvent: (event: ConsumerEvent) => void;
}

const DEFAULT_BACKOFF_MS = [1000, 5000, 30_000] as const;

export function resolveConsumeSettings(options: ConsumeOptions): ConsumeSettings {
  if (options.consumer.length === 0) throw new TypeError('a consumer needs a name');
  assertSubjectPatterns(options.subjects);
  const settings: ConsumeSettings = {
    consumer: options.consumer,
    subjects: [...options.subjects],
    handler: options.handler,
    maxDeliveries: options.maxDeliveries ?? 5,
    backoffMs: options.backoffMs && options.backoffMs.length > 0 ? [...options.backoffMs] : DEFAULT_BACKOFF_MS,
    concurrency: options.concurrency ?? 1,
    ackWaitMs: options.ackWaitMs ?? 30_000,
    onEvent: options.onEvent ?? (() => undefined),
  };
  assertPositiveInteger('maxDeliveries', settings.maxDeliveries);
  assertPositiveInteger('concurrency', settings.concurrency);
  assertPositiveInteger('ackWaitMs', settings.ackWaitMs);
  if (settings.backoffMs.some((delay) => !(delay >= 0))) throw new TypeError('backoffMs entries must be >= 0');
  return settings;
}

/** Delay before the redelivery that follows the `failures`-th failure; the last entry repeats. */
export function backoffDelay(backoffMs: readonly number[], failures: number): number {
  return backoffMs[Math.min(failures, backoffMs.length) - 1] ?? 0;
}

/** Error text kept with a dead letter: the message of an Error, anything else as a string. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${value}`);
}

/** Delay before redelivering a message whose handler threw `error`. */
export function retryDelay(error: unknown, backoffMs: readonly number[], failures: number): number {
  return error instanceof RetryLaterError ? error.delayMs : backoffDelay(backoffMs, failures);
}
