import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { InvalidEventDataError } from '../events/event-registry.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import { turnDecider } from './decide-turn.js';
import { commands, events } from './turn-fixtures.js';

const given = deciderSpecification(turnDecider);
const registry = createEventRegistry();

describe('turn: the feature tag', () => {
  describe('when no turn exists', () => {
    it('records the feature the request names, so cost can be attributed to it', () => {
      given([]).when(commands.requestTurn({ feature: 'support/summarize' })).then([events.turnRequested({ feature: 'support/summarize' })]);
    });

    it('keeps it in the turn state', () => {
      const state = given([events.turnRequested({ feature: 'search:v2' })]).state();
      expect(state.status !== 'none' && state.request.feature).toBe('search:v2');
    });
  });

  it('is accepted by the TurnRequested schema in its documented alphabet', () => {
    for (const feature of ['a', 'support/summarize', 'checkout.v2_beta:eu-1', 'x'.repeat(100)]) {
      expect(() => registry.encode('TurnRequested', events.turnRequested({ feature }).data)).not.toThrow();
    }
  });

  it('is refused when empty, too long or outside its alphabet, naming data.feature', () => {
    for (const feature of ['', 'x'.repeat(101), 'has space', 'émoji', 'semi;colon']) {
      const attempt = () => registry.encode('TurnRequested', events.turnRequested({ feature }).data);
      expect(attempt).toThrow(InvalidEventDataError);
      expect(attempt).toThrow(/data\.feature/);
    }
  });
});
