import { deterministicId } from '../../domain/shared/ids.js';
import { nextAction } from '../../domain/turn/next-action.js';
import type { PromptBuiltData } from '../../domain/turn/events/prompt-built.js';
import { ModelCallError } from '../../gateway/model-call-error.js';
import type { LanguageModel, ModelResult } from '../../gateway/model-spec.js';
import { routingReportOf } from '../../gateway/routing/routing-report.js';
import type { PipelineHandler } from '../pipeline-handler.js';
import { loadTurn, runTurnCommand, turnIdOf, type TurnPipelineDependencies } from './turn-pipeline-context.js';

/** Deltas of step n are numbered from n × this, so sequences keep rising across steps. */
export const DELTAS_PER_STEP = 1_000_000;

/**
 * PromptBuilt → ModelCallStarted → (deltas on the DELTAS channel) → ModelCallCompleted
 * or ModelCallFailed. The call id derives from the PromptBuilt event: a redelivery
 * after the call completed finds the turn past this step and calls nothing.
 */
export function createCallModelHandler(dependencies: TurnPipelineDependencies): PipelineHandler {
  return {
    name: 'turn-call-model',
    category: 'turn',
    eventTypes: ['PromptBuilt'],
    async handle(event) {
      const turnId = turnIdOf(event);
      const state = await loadTurn(dependencies.store, turnId);
      if (nextAction(state) !== 'call-model' || state.status === 'none') return;
      const prompt = event.data as PromptBuiltData;
      if (prompt.step !== state.step) return;
      const alias = state.request.model ?? 'chat/default';
      const callId = deterministicId(event.id, 'model-call');
      let model: LanguageModel;
      try {
        model = dependencies.models.languageModel(alias);
      } catch (error) {
        await runTurnCommand(dependencies.store, event, 'model-call/unknown-model', {
          type: 'FailTurn',
          data: { reason: 'model-call-failed', message: error instanceof Error ? error.message : String(error), now: new Date() },
        });
        return;
      }
      await runTurnCommand(dependencies.store, event, 'model-call/start', {
        type: 'StartModelCall',
        data: { step: prompt.step, callId, alias, provider: model.provider, modelId: model.modelId, now: new Date() },
      });
      const started = performance.now();
      let firstTokenAt: number | undefined;
      let sequence = prompt.step * DELTAS_PER_STEP;
      let result: ModelResult | undefined;
      try {
        for await (const part of model.stream({
          messages: prompt.messages,
          tools: prompt.tools,
          ...prompt.parameters,
        })) {
          if (part.type === 'finish') {
            result = part.result;
            continue;
          }
          firstTokenAt ??= performance.now();
          sequence += 1;
          // Deltas are a courtesy to streaming clients; the answer is recorded whole in ModelCallCompleted.
          await dependencies.deltas.publish({ turnId, sequence, step: prompt.step, part }).catch((error: unknown) => {
            dependencies.logger.warn({ err: error, turnId }, 'could not publish a token delta');
          });
        }
        if (!result) throw new ModelCallError('disconnected', 'the stream ended without a finish part');
      } catch (error) {
        await fail(error, performance.now() - started);
        return;
      }
      const routing = routingReportOf(result);
      const chosen = routing?.candidates.find((candidate) => candidate.deployment === routing.chosen);
      await runTurnCommand(dependencies.store, event, 'model-call/complete', {
        type: 'CompleteModelCall',
        data: {
          step: prompt.step,
          callId,
          text: result.text,
          toolCalls: result.toolCalls,
          finishReason: result.finishReason,
          usage: result.usage,
          latencyMs: Math.round(performance.now() - started),
          timeToFirstTokenMs: firstTokenAt === undefined ? undefined : Math.round(firstTokenAt - started),
          provider: chosen?.provider ?? model.provider,
          modelId: chosen?.model ?? model.modelId,
          responseModelId: result.responseModelId,
          costMicros: (result as { costMicros?: number }).costMicros,
          routing,
          now: new Date(),
        },
      });

      async function fail(error: unknown, elapsedMs: number) {
        const known = ModelCallError.isInstance(error) ? error : new ModelCallError('server', error instanceof Error ? error.message : String(error));
        const routing = routingReportOf(error);
        dependencies.logger.warn({ err: error, turnId, callId, elapsedMs }, 'model call failed');
        await runTurnCommand(dependencies.store, event, 'model-call/fail', {
          type: 'FailModelCall',
          data: {
            step: prompt.step,
            callId,
            errorKind: known.kind,
            message: known.message,
            retryable: known.retryable,
            partialText: known.details.partialText,
            attempts: Math.max(1, routing?.attempts.length ?? 0),
            routing,
            now: new Date(),
          },
        });
      }
    },
  };
}
