import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { InvalidEventDataError } from '../events/event-registry.js';
import { turnEventTypes, type TurnEvent } from './turn-event.js';
import { after, callingTools, events, toolCallId } from './turn-fixtures.js';

const registry = createEventRegistry();

const examples: TurnEvent[] = [
  events.turnRequested({ mode: 'rag', clientTools: [{ name: 'lookup_order', parameters: { type: 'object' } }] }),
  events.contextRetrieved(),
  events.promptBuilt(1),
  events.modelCallStarted(1),
  events.modelCallCompleted(1, { ...callingTools(2), costMicros: 1_250, cached: true, cachedFromCallId: 'call-0' }),
  { type: 'ModelCallFailed', data: { step: 1, callId: 'call-1', errorKind: 'timeout', message: 'slow', retryable: true, attempts: 2 } },
  events.toolCallProposed(1, 0),
  events.toolCallApprovalRequested(toolCallId(1)),
  events.toolCallApproved(toolCallId(1)),
  events.toolCallRejected(toolCallId(1)),
  events.toolCallExecuted(toolCallId(1)),
  events.toolCallFailed(toolCallId(1)),
  events.outputValidated(1, ['not JSON']),
  events.outputRepairRequested(1, ['not JSON']),
  events.turnCompleted(after(5)),
  events.turnFailed('deadline-exceeded', 'too slow', after(5)),
  { type: 'FeedbackRecorded', data: { turnId: 't1', score: 1, source: 'user' } },
];

describe('turn events', () => {
  it('are all registered, each at version 1 but FeedbackRecorded', () => {
    for (const definition of turnEventTypes) {
      expect(registry.currentVersion(definition.type)).toBe(definition.type === 'FeedbackRecorded' ? 2 : 1);
    }
  });

  it('has an example of every type, which the schemas accept', () => {
    expect(new Set(examples.map((event) => event.type))).toEqual(new Set(turnEventTypes.map((definition) => definition.type)));
    for (const event of examples) expect(registry.encode(event.type, event.data).data).toEqual(event.data);
  });

  it('refuses data that breaks a schema, naming the field', () => {
    expect(() => registry.encode('PromptBuilt', { ...events.promptBuilt(0).data })).toThrow(InvalidEventDataError);
    expect(() => registry.encode('ContextRetrieved', { query: 'q', chunks: [{ docId: 'd', label: 'doc1', text: '', score: 1 }] })).toThrow(
      expect.objectContaining({ field: 'data.chunks.0.label' }) as Error,
    );
  });
});
