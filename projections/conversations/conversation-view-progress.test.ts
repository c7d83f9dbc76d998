import { describe, expect, it } from 'vitest';
import { toGlobalPosition } from '../../domain/events/global-position.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { createConversationViewTracker, type ConversationViewTracker, type NotedEvent } from './conversation-view-progress.js';

const at = (prepare: number) => toGlobalPosition(1, prepare);
type PositionedEvent = NotedEvent & { position: ReturnType<typeof at> };
const note = (tracker: ConversationViewTracker, ...events: PositionedEvent[]) => {
  for (const event of events) tracker.noted(event, event.position);
};
const requested = (turn: string, conversationId: string, prepare: number): PositionedEvent => ({
  streamId: streamId('turn', turn),
  type: 'TurnRequested',
  data: { conversationId },
  position: at(prepare),
});
const completed = (turn: string, prepare: number): PositionedEvent => ({ streamId: streamId('turn', turn), type: 'TurnCompleted', data: {}, position: at(prepare) });

describe('conversation view progress', () => {
  it('holds a prompt until the view has applied its conversation’s last turn end, hurrying the runner', async () => {
    const tracker = createConversationViewTracker();
    let hurried = 0;
    tracker.attach(() => (hurried += 1));
    note(tracker, requested('a', 'c1', 1), completed('a', 5));

    let current: boolean | undefined;
    const waiting = tracker.untilCurrent('c1').then((result) => (current = result));
    expect(hurried).toBe(1);
    tracker.applied(at(4));
    await Promise.resolve();
    expect(current).toBeUndefined();
    // A batch that went without the end must not leave the next one lingering.
    expect(tracker.waiting()).toBe(true);
    tracker.applied(at(5));
    await waiting;
    expect(current).toBe(true);
    expect(tracker.waiting()).toBe(false);
  });

  it('never holds another conversation, nor one whose end the view already has', async () => {
    const tracker = createConversationViewTracker();
    let hurried = 0;
    tracker.attach(() => (hurried += 1));
    note(tracker, requested('a', 'c1', 1), completed('a', 5));
    await expect(tracker.untilCurrent('c2')).resolves.toBe(true);
    tracker.applied(at(9));
    note(tracker, completed('a', 5));
    await expect(tracker.untilCurrent('c1')).resolves.toBe(true);
    expect(hurried).toBe(0);
  });

  it('keeps nothing and holds nobody while no runner is attached', async () => {
    const tracker = createConversationViewTracker();
    note(tracker, requested('a', 'c1', 1), completed('a', 5));
    await expect(tracker.untilCurrent('c1')).resolves.toBe(true);
    tracker.attach(() => undefined);
    await expect(tracker.untilCurrent('c1')).resolves.toBe(true);
  });

  it('gives up after the limit, and lets waiters go when the runner stops', async () => {
    const tracker = createConversationViewTracker();
    tracker.attach(() => undefined);
    note(tracker, requested('a', 'c1', 1), completed('a', 5));
    await expect(tracker.untilCurrent('c1', 20)).resolves.toBe(false);
    const waiting = tracker.untilCurrent('c1', 10_000);
    tracker.detach();
    await expect(waiting).resolves.toBe(false);
  });
});
