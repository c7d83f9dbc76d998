import { endingOf, type TurnEnding } from '../turns/drive-to-end.js';
import { toolCallIdFor } from '../../domain/turn/decide/model-calls.js';
import type { TurnCompletedData } from '../../domain/turn/events/turn-ended.js';
import type { DeltaChannel } from '../../infra/deltas/port.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { StreamEventHub } from '../../infra/event-store/stream-event-hub.js';
import type { SseWriter } from '../sse/sse-writer.js';
import { awaitTurnEnd } from '../turns/await-turn-end.js';
import { completionId, openAiFinishReason, openAiUsage } from './completion-bodies.js';
import { turnFailureError } from './openai-errors.js';

export interface ChatStreamSources {
  store: EventStore;
  hub: StreamEventHub;
  deltas: DeltaChannel;
}

/**
 * The turn as `chat.completion.chunk` events: deltas as they come, then the finish
 * reason, the usage chunk when asked for, and `[DONE]`. A failed turn ends the stream
 * with an `error` event, which OpenAI SDKs raise as an APIError.
 */
export async function streamChatCompletion(
  sse: SseWriter,
  sources: ChatStreamSources,
  turnId: string,
  model: string,
  includeUsage: boolean,
  onError?: (error: unknown) => void,
  turnEnd: (signal: AbortSignal) => Promise<TurnEnding> = async (signal) => endingOf(await awaitTurnEnd(sources.store, sources.hub, turnId, signal)),
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
  void sse.closed.then(() => controller.abort());
  const ended = turnEnd(controller.signal);
  const stopFollowing = () => controller.abort();
  void ended.then(stopFollowing, stopFollowing);
  await sse.send({ data: chunk({ role: 'assistant', content: '' }) });
  let firstStep: number | undefined;
  let sentText = '';
  const sentArguments = new Map<number, string>();
  try {
    for await (const delta of sources.deltas.follow(turnId, 0, controller.signal)) {
      // A later step (repair) cannot retract what was sent; its answer arrives whole in the final event.
      firstStep ??= delta.step;
      if (delta.step !== firstStep) continue;
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
    }
    const ending = await ended;
    if (ending.status === 'failed') {
      const error = turnFailureError(ending.events);
      await sse.send({ data: { error: { message: error.message, type: 'server_error', code: error.code, param: null } } });
      return;
    }
    const { outcome } = ending;
    await sendWhatDeltasMissed(outcome);
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
  async function sendWhatDeltasMissed(outcome: TurnCompletedData) {
    if (outcome.answer.startsWith(sentText) && outcome.answer.length > sentText.length) {
      await sse.send({ data: chunk({ content: outcome.answer.slice(sentText.length) }) });
    }
    for (const [index, call] of (outcome.toolCalls ?? []).entries()) {
      const sent = sentArguments.get(index);
      if (sent === undefined) {
        await sse.send({ data: chunk({ tool_calls: [{ index, id: call.toolCallId, type: 'function', function: { name: call.name, arguments: call.arguments } }] }) });
      } else if (call.arguments.startsWith(sent) && call.arguments.length > sent.length) {
        await sse.send({ data: chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(sent.length) } }] }) });
      }
    }
  }
}
