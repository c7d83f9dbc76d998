import { handleCommand, loadState } from '../../commands/handle-command.js';
import type { RequestedTurn, TurnDriver } from '../../commands/turns.js';
import type { EventMetadataInput, NewEvent } from '../../domain/events/envelope.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { deterministicId, type EventId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { turnDecider } from '../../domain/turn/decide-turn.js';
import type { PromptBuiltData } from '../../domain/turn/events/prompt-built.js';
import { nextAction } from '../../domain/turn/next-action.js';
import type { TurnCommand } from '../../domain/turn/turn-command.js';
import { isEnded, type TurnState } from '../../domain/turn/turn-state.js';
import { appendInOrder } from '../../infra/event-store/append-in-order.js';
import type { AppendOptions, StreamAppend } from '../../infra/event-store/port.js';
import { EventIdReusedError, StreamRevisionConflictError } from '../../infra/event-store/errors.js';
import { buildPromptCommand } from './build-prompt-handler.js';
import { answerFromCache, modelRequestOf, performModelCall, planModelCall, startModelCallCommand } from './call-model-handler.js';
import { lookUpCachedAnswer, rememberAnswer } from './cached-model-call.js';
import { retrieveCommand, type Retriever } from './retrieve-handler.js';
import { metadataCausedBy, type TurnPipelineDependencies } from './turn-pipeline-context.js';
import { completeCommand, validateCommand } from './validate-handler.js';

const APPEND_ATTEMPTS = 4;
const APPEND_RETRY_DELAY_MS = 250;

/** The event a step reacts to: its id seeds the step's event ids, as on the bus. */
interface Cause {
  id: string;
  metadata: EventMetadataInput;
}

interface DecidedStep {
  cause: Cause;
  step: string;
  command: TurnCommand;
  events: NewEvent[];
}

/**
 * The pipeline's steps without the hops between them. The same step functions decide
 * the same commands, and event ids derive from the same (causing event, step) pairs as
 * the bus handlers', so a handler that also gets to a step appends nothing new. Steps
 * before the model call go out in one append (ending with ModelCallStarted, the claim
 * on the call), and those after it in another. The claim must be durable before the
 * call of a turn others can see; a turn not recorded yet is seen by nobody, so its call
 * goes out while the claim is written (its first token waits for it), or, with
 * `recordWhenEnded`, all of it goes out in one append at the end.
 */
export function createTurnDriver(dependencies: TurnPipelineDependencies, retriever: Retriever): TurnDriver {
  const { store } = dependencies;

  /**
   * A lost connection is tried again: the same ids make a repeat of a write that did land
   * a no-op, and what is at stake (a call already paid for, a turn nothing else records
   * yet) is worth a second. Refusals (a conflict, an id reused) are answers, not faults.
   */
  const appendRetrying = async (appends: StreamAppend[], announce: AppendOptions['announce']) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await appendInOrder(store, appends, { announce });
      } catch (error) {
        if (DomainError.isInstance(error) || attempt >= APPEND_ATTEMPTS) throw error;
        dependencies.logger.warn({ err: error, attempt }, 'recording the turn failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, APPEND_RETRY_DELAY_MS * attempt));
      }
    }
  };

  async function run(turn: RequestedTurn): Promise<TurnState> {
    const stream = streamId('turn', turn.turnId);
    let state = turn.state;
    let revision = turn.revision;
    let cause: Cause = turn.requested;
    const pending: DecidedStep[] = [];
    // Emptied by the first append, so the caller can tell whether the turn was ever recorded.
    const unsaved = turn.unsaved ?? [];
    const alongside = turn.alongside ?? [];

    const decide = (step: string, command: TurnCommand, by: Cause = cause): NewEvent[] => {
      const decided = turnDecider.decide(command, state);
      const events = decided.map((event, index): NewEvent => ({
        id: deterministicId<EventId>(by.id, `${step}#${index}`),
        type: event.type,
        data: event.data,
        metadata: metadataCausedBy(by),
      }));
      state = decided.reduce((current, event) => turnDecider.evolve(current, event), state);
      pending.push({ cause: by, step, command, events });
      cause = events.at(-1) ?? cause;
      return events;
    };

    /**
     * False when another writer moved the turn: the drive then stops there. The append
     * that ends the turn is announced quietly: the answer goes out from here, and no
     * other process has a step to take.
     */
    const flush = async (): Promise<boolean> => {
      const steps = pending.splice(0);
      const events = [...unsaved, ...steps.flatMap((decided) => decided.events)];
      if (events.length === 0) return true;
      try {
        const ended = state.status !== 'none' && isEnded(state);
        const results = await appendRetrying([...alongside, { streamId: stream, events, expectedRevision: revision === -1 ? 'no_stream' : revision }], ended ? 'quietly' : 'promptly');
        revision = results.at(-1)!.nextRevision;
        const first = unsaved.length > 0;
        unsaved.length = 0;
        alongside.length = 0;
        if (first) turn.markRecorded?.();
        return true;
      } catch (error) {
        // An id already taken means a handler recorded the same step first (at another `now`).
        if (!(error instanceof StreamRevisionConflictError) && !(error instanceof EventIdReusedError)) throw error;
        // A turn none of which is recorded has nothing to carry on from: its caller must fail, not answer.
        if (unsaved.length > 0) throw error;
        // What was decided before the claim on the model call is recorded the ordinary way; the claim and
        // what followed it in this batch (a cached answer) are dropped, since this drive will not go on.
        const claim = steps.findIndex((step) => step.command.type === 'StartModelCall');
        for (const decided of claim >= 0 ? steps.slice(0, claim) : steps) {
          try {
            state = (await handleCommand(store, stream, turnDecider, decided.command, { step: decided.step, metadata: metadataCausedBy(decided.cause) })).state;
          } catch (replayError) {
            // The turn moved past what this drive decided (a worker ended the call): its outcome stands.
            if (DomainError.isInstance(replayError)) break;
            throw replayError;
          }
        }
        // What this drive decided past the conflict is not what the log holds; the log's state is the one to report.
        state = (await loadState(store, stream, turnDecider)).state;
        return false;
      }
    };

    let promptEvent: NewEvent | undefined;
    let answerEvent: NewEvent | undefined;
    // Caching waits for the record: see rememberAnswer.
    const rememberOnceRecorded: (() => void)[] = [];
    for (;;) {
      const action = nextAction(state);
      if (action === 'retrieve') {
        const command = await retrieveCommand(state, retriever);
        if (!command) break;
        decide('retrieve', command);
      } else if (action === 'build-prompt') {
        // Only the first prompt reads the conversation, which the request has just read.
        const command = await buildPromptCommand(state, dependencies, turn.conversation);
        if (!command) break;
        promptEvent = decide(`build-prompt/${command.data.step}`, command).find((event) => event.type === 'PromptBuilt');
      } else if (action === 'call-model' && promptEvent) {
        const prompt = promptEvent;
        const planned = planModelCall(state, { id: prompt.id, data: prompt.data as PromptBuiltData }, dependencies);
        if (!planned) break;
        if ('failTurn' in planned) {
          decide('model-call/unknown-model', planned.failTurn, prompt);
          continue;
        }
        decide('model-call/start', startModelCallCommand(planned.call, dependencies.processId), prompt);
        // A cached answer costs no call, so start and answer go out in the same append.
        const lookup = await lookUpCachedAnswer(dependencies, planned.call, modelRequestOf(planned.call));
        let claim: Promise<boolean> | undefined;
        let claimDurable: Promise<void> | undefined;
        if (!lookup.hit && !turn.recordWhenEnded) {
          // A turn not recorded yet is seen by nobody else, so no one can race for its call:
          // the call goes out while its claim is written, and its first token waits for the claim.
          const seenByNobody = unsaved.length > 0;
          claim = flush();
          if (seenByNobody) {
            claimDurable = claim.then((recorded) => {
              if (!recorded) throw new Error(`turn ${turn.turnId} moved on before its model call was recorded`);
            });
            claimDurable.catch(() => undefined);
          } else if (!(await claim)) {
            return state;
          }
        }
        let outcome;
        try {
          outcome = lookup.hit
            ? // Tokens of a turn not recorded yet are not published: the answer reaches its follower whole, from the record.
              await answerFromCache(dependencies, planned.call, lookup.hit, { publishDeltas: unsaved.length === 0 })
            : await performModelCall(dependencies, planned.call, lookup, claimDurable);
        } catch (error) {
          // The caller decides from what was recorded, so the claim must have landed or failed first.
          await claim?.catch(() => undefined);
          throw error;
        }
        if (claim && !(await claim)) return state;
        const recorded = decide(outcome.type === 'CompleteModelCall' ? 'model-call/complete' : 'model-call/fail', outcome, prompt);
        answerEvent = recorded.find((event) => event.type === 'ModelCallCompleted');
        if (answerEvent && outcome.type === 'CompleteModelCall') rememberOnceRecorded.push(() => rememberAnswer(dependencies, lookup, planned.call, outcome.data));
        promptEvent = undefined;
      } else if (action === 'validate' && answerEvent) {
        decide('validate', validateCommand(state), answerEvent);
      } else if (action === 'complete' && answerEvent) {
        decide('complete', completeCommand(), answerEvent);
      } else {
        // Tools, approvals and an ended turn belong to the pipeline (or to nobody).
        break;
      }
    }
    if (await flush()) for (const remember of rememberOnceRecorded) remember();
    return state;
  }

  return {
    drive(turn) {
      const drive = run(turn);
      return dependencies.localDrives ? dependencies.localDrives.track(turn.turnId, drive) : drive;
    },
  };
}
