import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  WrongExpectedVersionError,
  type AppendStreamState,
  type EventData,
  type KurrentDBClient,
} from '@kurrent/kurrentdb-client';
import type { NewEvent } from '../../../domain/events/envelope.js';
import type { GlobalPosition } from '../../../domain/events/global-position.js';
import { isId } from '../../../domain/shared/ids.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { InvalidAppendError, StreamRevisionConflictError } from '../errors.js';
import type { AppendOptions, AppendResult, ExpectedRevision } from '../port.js';
import { collectStream } from './collect-stream.js';
import { findPreviousAppend, type PreviousAppendCheck } from './find-previous-append.js';
import { appendIdOf, positionOf } from './map-recorded-event.js';
import { toEventData } from './map-new-event.js';

/**
 * An 'any' append is sent with the revision the id check saw, so a concurrent copy of
 * the same events meets a revision check rather than KurrentDB's best-effort
 * deduplication. Under contention that outlasts these attempts, the last goes out as ANY.
 */
const PINNED_ATTEMPTS = 10;

type AttemptOutcome =
  | { kind: 'written'; nextRevision: number; position: GlobalPosition; byThisAppend: boolean }
  | { kind: 'conflict'; actualRevision: number | undefined };

export async function appendToStream(
  client: KurrentDBClient,
  streamId: StreamId,
  events: readonly NewEvent[],
  options: AppendOptions,
  settings: { idempotencyWindow: number },
): Promise<AppendResult> {
  checkShape(events);
  const expected = options.expectedRevision ?? 'any';
  const appendId = randomUUID();
  // Built once, so every attempt sends the very same occurredAt.
  const appendedAt = new Date();
  const eventData = events.map((event) => toEventData(event, { appendId, appendedAt }));
  const findPrevious = () => findPreviousAppend(client, streamId, events, expected, settings.idempotencyWindow);

  let check = await findPrevious();
  for (let attempt = 1; ; attempt += 1) {
    if (check.previous) return { ...check.previous, alreadyAppended: true };
    const outcome = await attemptAppend(client, streamId, eventData, appendId, toStreamState(expected, check, attempt));
    if (outcome.kind === 'written' && outcome.byThisAppend) {
      return { nextRevision: outcome.nextRevision, position: outcome.position, alreadyAppended: false };
    }
    // Either KurrentDB took these ids as a retry of another writer's append (whose
    // content may differ), or the stream moved on: look at what is there now.
    check = await findPrevious();
    if (outcome.kind === 'written') {
      const { nextRevision, position } = check.previous ?? outcome;
      return { nextRevision, position, alreadyAppended: true };
    }
    if (!check.previous && expected !== 'any') {
      throw new StreamRevisionConflictError(streamId, expected, outcome.actualRevision ?? check.currentRevision);
    }
  }
}

function checkShape(events: readonly NewEvent[]): void {
  if (events.length === 0) throw new InvalidAppendError('an append needs at least one event', 'events');
  const seen = new Set<string>();
  for (const [index, event] of events.entries()) {
    if (!isId(event.id)) throw new InvalidAppendError(`events[${index}].id "${event.id}" is not a UUID`, `events.${index}.id`);
    const key = event.id.toLowerCase();
    if (seen.has(key)) throw new InvalidAppendError(`event id ${event.id} appears twice in one append`, `events.${index}.id`);
    seen.add(key);
    if (event.data === undefined) throw new InvalidAppendError(`events[${index}].data is missing`, `events.${index}.data`);
  }
}

function toStreamState(expected: ExpectedRevision, check: PreviousAppendCheck, attempt: number): AppendStreamState {
  if (expected === 'no_stream') return NO_STREAM;
  if (typeof expected === 'number') return BigInt(expected);
  if (attempt > PINNED_ATTEMPTS) return ANY;
  return check.currentRevision === -1 ? NO_STREAM : BigInt(check.currentRevision);
}

async function attemptAppend(
  client: KurrentDBClient,
  streamId: StreamId,
  eventData: EventData[],
  appendId: string,
  streamState: AppendStreamState,
): Promise<AttemptOutcome> {
  let nextRevision: number;
  try {
    const result = await client.appendToStream(streamId, eventData, { streamState });
    // A client built with throwOnAppendFailure: false reports conflicts here, and its
    // batch path misreports the revision, so the caller reads it instead.
    if (!result.success) return { kind: 'conflict', actualRevision: undefined };
    nextRevision = Number(result.nextExpectedRevision);
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) {
      const actual = error.actualState;
      return { kind: 'conflict', actualRevision: actual === NO_STREAM ? -1 : Number(actual) };
    }
    if (error instanceof MaxAppendSizeExceededError) {
      throw new InvalidAppendError(`the events exceed KurrentDB's maximum append size of ${error.maxAppendSize} bytes`, 'events');
    }
    throw error;
  }
  // KurrentDB answers a write of ids it already holds at that place with the same
  // success as a fresh write, and its reply position is not documented to be the last
  // event's; the stored last event settles both.
  const records = await collectStream(client, streamId, {
    direction: BACKWARDS,
    fromRevision: BigInt(nextRevision),
    maxCount: 1,
    requiresLeader: true,
  });
  const last = records?.[0];
  if (!last) throw new Error(`KurrentDB acknowledged ${streamId}@${nextRevision} but does not return it`);
  return { kind: 'written', nextRevision, position: positionOf(last), byThisAppend: appendIdOf(last) === appendId };
}
