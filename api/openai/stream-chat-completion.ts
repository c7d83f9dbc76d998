import { endingOf, type TurnEnding } from '../turns/drive-to-end.js';
import { toolCallIdFor } from '../../domain/turn/decide/model-calls.js';
import type { ModelCallFailedData } from '../../domain/turn/events/model-call-events.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { DeltaChannel, TurnDelta } from '../../infra/deltas/port.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { StreamEventHub } from '../../infra/event-store/stream-event-hub.js';
import type { SseWriter } from '../sse/sse-writer.js';
import { awaitTurnEnd } from '../turns/await-turn-end.js';
import { completionId, openAiFinishReason, openAiUsage } from './completion-bodies.js';
import { turnFailureError } from './openai-errors.js';
import { ApiError } from '../errors/api-error.js';
import { problem } from '../errors/problem.js';
import { OPENAI_BUDGET_REFUSAL } from '../budgets/budget-exhausted-problem.js';

/** Longest a streamed completion holds its headers back for its first output: as long as an SSE heartbeat's interval. */
export const HEADERS_WAIT_MS = 15_000;

export interface ChatStreamSources {
  store: EventStore;
  hub: StreamEventHub;
  deltas: DeltaChannel;
}

/**
 * The turn as `chat.completion.chunk` events: deltas as they come, then the finish
 * reason, the usage chunk when asked for, and `[DONE]`. The response starts with the
 * first output, as OpenAI's does: a turn that fails before any (a refused request, a
 * rate limit, a budget, a context overflow) throws its HTTP error instead, which the
 * SDKs raise as the matching typed error (and retry when they should). A turn that
 * fails after output ends the stream with an `error` event, after the output it had.
 */
export async function streamChatCompletion(
  open: () => SseWriter,
  clientGone: AbortSignal,
  sources: ChatStreamSources,
  turnId: string,
  model: string,
  includeUsage: boolean,
  onError?: (error: unknown) => void,
  turnEnd: (signal: AbortSignal) => Promise<TurnEnding> = async (signal) => endingOf(await awaitTurnEnd(sources.store, sources.hub, turnId, signal)),
  headersWaitMs = HEADERS_WAIT_MS,
): Promise<void> {
  const created = Math.floor(Date.now() / 1_000);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: completionId(turnId),
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });
  const controller = new AbortController();
  const stopFollowing = () => controller.abort();
  clientGone.addEventListener('abort', stopFollowing, { once: true });
  const ended = turnEnd(controller.signal);
  void ended.then(stopFollowing, stopFollowing);
  const deltas = sources.deltas.follow(turnId, 0, controller.signal)[Symbol.asyncIterator]();
  // Nothing is sent until there is output or an outcome, so a failure before any is an HTTP
  // error; but not for longer than `headersWaitMs`, past which a slow first token (a
  // reasoning model) gets its headers and heartbeats, or a proxy would cut the silence.
  // Without deltas (their channel failing) the stream still ends with the whole answer.
  const firstDelta = deltas.next().catch((error: unknown): IteratorResult<TurnDelta> => {
    onError?.(error);
    return { done: true, value: undefined };
  });
  let waited: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([
      firstDelta,
      ended.then(() => 'ended' as const),
      new Promise<'waited'>((resolve) => (waited = setTimeout(resolve, headersWaitMs, 'waited'))),
    ]);
    if (first === 'ended' || (first !== 'waited' && first.done)) {
      const ending = await ended;
      if (ending.status === 'failed' && !partialOutputOf(ending.events) && !clientGone.aborted) throw turnFailureError(ending.events);
    }
  } catch (error) {
    controller.abort();
    // A client gone before any output has nobody to tell: the turn is recorded all the same.
    if (clientGone.aborted) return;
    throw error;
  } finally {
    clearTimeout(waited);
  }
  if (clientGone.aborted) {
    controller.abort();
    return;
  }
  const sse = open();
  void sse.closed.then(stopFollowing);
  let firstStep: number | undefined;
  let sentText = '';
  const sentArguments = new Map<number, string>();
  const sendDelta = async (delta: TurnDelta) => {
    // A later step (repair) cannot retract what was sent; its answer arrives whole in the final event.
    firstStep ??= delta.step;
    if (delta.step !== firstStep) return;
    const part = delta.part;
    if (part.type === 'text-delta') {
      sentText += part.text;
      await sse.send({ data: chunk({ content: part.text }) });
    } else if (part.type === 'tool-call-start') {
      sentArguments.set(part.index, '');
      await sse.send({
        data: chunk({ tool_calls: [{ index: part.index, id: toolCallIdFor(turnId, delta.step, part.index), type: 'function', function: { name: part.name, arguments: '' } }] }),
      });
    } else {
      sentArguments.set(part.index, (sentArguments.get(part.index) ?? '') + part.argumentsDelta);
      await sse.send({ data: chunk({ tool_calls: [{ index: part.index, function: { arguments: part.argumentsDelta } }] }) });
    }
  };
  try {
    await sse.send({ data: chunk({ role: 'assistant', content: '' }) });
    for (let next = await firstDelta; !next.done; next = await deltas.next()) await sendDelta(next.value);
    const ending = await ended;
    if (ending.status === 'failed') {
      const partial = partialOutputOf(ending.events);
      if (partial) {
        const toolCalls = (partial.partialToolCalls ?? []).map((call, index) => ({ toolCallId: toolCallIdFor(turnId, partial.step, index), name: call.name, arguments: call.arguments }));
        await sendWhatDeltasMissed({ text: partial.partialText ?? '', toolCalls });
      }
      const error = turnFailureError(ending.events);
      // As OpenAI's would read, though the status already went out as 200.
      const status = error instanceof ApiError ? error.status : OPENAI_BUDGET_REFUSAL.status;
      await sse.send({ data: { error: problem(status, error.code, error.message, error.field ? [{ field: error.field, message: error.message }] : []).error } });
      return;
    }
    const { outcome } = ending;
    await sendWhatDeltasMissed({ text: outcome.answer, toolCalls: outcome.toolCalls ?? [] });
    await sse.send({ data: chunk({}, openAiFinishReason(outcome.finishReason)) });
    if (includeUsage) await sse.send({ data: { ...chunk({}), choices: [], usage: openAiUsage(outcome.usage) } });
    await sse.send({ data: '[DONE]' });
  } catch (error) {
    // Once the stream is open the status is sent; an error event is how the client learns it failed.
    onError?.(error);
    await sse.send({ data: { error: { message: 'the completion failed on our side; it has been logged', type: 'server_error', code: 'internal', param: null } } });
  } finally {
    controller.abort();
    sse.end();
  }

  /**
   * The turn can end before every delta reached this process (the deltas travel apart
   * from the events): the final answer fills in what the client has not seen yet.
   */
  async function sendWhatDeltasMissed(output: { text: string; toolCalls: readonly { toolCallId: string; name: string; arguments: string }[] }) {
    if (output.text.startsWith(sentText) && output.text.length > sentText.length) {
      await sse.send({ data: chunk({ content: output.text.slice(sentText.length) }) });
    }
    for (const [index, call] of output.toolCalls.entries()) {
      const sent = sentArguments.get(index);
      if (sent === undefined) {
        await sse.send({ data: chunk({ tool_calls: [{ index, id: call.toolCallId, type: 'function', function: { name: call.name, arguments: call.arguments } }] }) });
      } else if (call.arguments.startsWith(sent) && call.arguments.length > sent.length) {
        await sse.send({ data: chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(sent.length) } }] }) });
      }
    }
  }
}

/** What the failed call had streamed before it failed, if anything: the client gets it before the error. */
function partialOutputOf(events: readonly RecordedEvent[]): ModelCallFailedData | undefined {
  const failed = [...events].reverse().find((event) => event.type === 'ModelCallFailed')?.data as ModelCallFailedData | undefined;
  return failed && (failed.partialText || failed.partialToolCalls?.length) ? failed : undefined;
}
