import { deterministicId } from '../../domain/shared/ids.js';
import { takeoverAfterMs } from '../../domain/turn/model-call-lease.js';
import type { PromptBuiltData } from '../../domain/turn/events/prompt-built.js';
import { nextAction } from '../../domain/turn/next-action.js';
import type { CompleteModelCall, FailModelCall, FailTurn, StartModelCall } from '../../domain/turn/turn-command.js';
import type { TurnState } from '../../domain/turn/turn-state.js';
import { ModelCallError } from '../../gateway/model-call-error.js';
import type { LanguageModel, ModelRequest, ModelResult, ModelStreamPart, ModelToolCall } from '../../gateway/model-spec.js';
import type { CachedResponse } from '../../gateway/cache/response-cache.js';
import { microBatches } from '../../infra/event-store/micro-batches.js';
import { holdBudget, settleBudget } from './budgeted-call.js';
import { coalesceParts } from './stream-bursts.js';
import { cachedCompletion, lookUpCachedAnswer, rememberAnswer, type CacheLookup } from './cached-model-call.js';
import type { BudgetExhaustedError } from '../../gateway/budgets/index.js';
import { routingReportOf } from '../../gateway/routing/routing-report.js';
import { estimatedSpendingOf, partialToolCallsOf } from '../../gateway/resilience/gateway-call-error.js';
import { RetryLaterError } from '../../infra/bus/port.js';
import type { TurnDelta } from '../../infra/deltas/port.js';
import type { PipelineHandler } from '../pipeline-handler.js';
import { loadTurnForHandler, runTurnCommand, turnIdOf, type TurnPipelineDependencies } from './turn-pipeline-context.js';

/** Deltas of step n are numbered from n × this, so sequences keep rising across steps. */
export const DELTAS_PER_STEP = 1_000_000;

/** Most stream parts taken together before their deltas are published. */
const MAX_PARTS_PER_BURST = 256;

/** How long a started call belongs to whoever started it, unless the dependencies say otherwise (as TESSERA_MODEL_CALL_LEASE_MS). */
export const DEFAULT_MODEL_CALL_LEASE_MS = 150_000;


/** What a model call needs once the turn is known to be waiting for one. */
export interface PlannedModelCall {
  turnId: string;
  callId: string;
  alias: string;
  model: LanguageModel;
  prompt: PromptBuiltData;
  /** Someone may follow the answer as it is produced: stream it and publish the deltas. */
  streamed: boolean;
  tenantId: string;
  /** The API key that asked, whose own budgets apply too. */
  keyId?: string;
  /** Ids of the documents the prompt cites, in rank order: part of the cache key. */
  retrievedDocIds: string[];
  /** The caller asked for a fresh answer (`Cache-Control: no-cache`). */
  cacheBypass: boolean;
  /** The OpenAI `user` the client sent, passed on to the provider as OpenAI would (abuse monitoring); a REST turn's user stays Tessera's. */
  endUser?: string;
}

/**
 * The call the turn waits for after `promptEvent`, or the FailTurn that ends a turn
 * asking for an unknown model. Undefined when the turn is past this prompt.
 */
export function planModelCall(
  state: TurnState,
  promptEvent: { id: string; data: PromptBuiltData },
  dependencies: TurnPipelineDependencies,
): { call: PlannedModelCall } | { failTurn: FailTurn } | undefined {
  if (nextAction(state) !== 'call-model' || state.status === 'none') return undefined;
  const prompt = promptEvent.data;
  if (prompt.step !== state.step) return undefined;
  const { model: named, task } = state.request;
  const alias = named ?? (task ? dependencies.models.aliasForTask(task) : 'chat/default');
  try {
    const model = dependencies.models.languageModel(alias);
    return {
      call: {
        turnId: state.request.turnId,
        callId: deterministicId(promptEvent.id, 'model-call'),
        alias,
        model,
        prompt,
        streamed: mayBeFollowed(state.request),
        tenantId: state.request.tenantId,
        keyId: state.request.keyId,
        retrievedDocIds: state.context?.chunks.map((chunk) => chunk.docId) ?? [],
        cacheBypass: state.request.cacheBypass === true,
        endUser: state.request.source === 'openai-compatible' ? state.request.userId : undefined,
      },
    };
  } catch (error) {
    return { failTurn: { type: 'FailTurn', data: { reason: 'model-call-failed', message: error instanceof Error ? error.message : String(error), now: new Date() } } };
  }
}

/**
 * Any REST turn can be followed at its stream URL; a non-streaming OpenAI-compatible
 * completion cannot, since its caller learns the turn id only with the answer.
 */
function mayBeFollowed(request: { source: string; stream: boolean }): boolean {
  return request.stream || request.source !== 'openai-compatible';
}

export function startModelCallCommand(call: PlannedModelCall, startedBy: string | undefined): StartModelCall {
  return {
    type: 'StartModelCall',
    data: { step: call.prompt.step, callId: call.callId, alias: call.alias, provider: call.model.provider, modelId: call.model.modelId, startedBy, now: new Date() },
  };
}

/**
 * Streams the call through the gateway, publishing deltas as they come, and returns
 * the command that records how it ended. Never throws for a failed call: a failure
 * is an outcome (ModelCallFailed), not an error of the step.
 */
export async function performModelCall(
  dependencies: TurnPipelineDependencies,
  call: PlannedModelCall,
  /** The cache entry the call would use (lookUpCachedAnswer); the caller caches the answer once it is recorded (rememberAnswer). */
  lookup: CacheLookup,
  /** The call's start, being recorded while the call goes out: no delta is published before it is durable, and its failure fails the call. */
  startRecorded?: Promise<void>,
): Promise<CompleteModelCall | FailModelCall> {
  const { turnId, callId, prompt, model } = call;
  const started = performance.now();
  let firstTokenAt: number | undefined;
  let sequence = prompt.step * DELTAS_PER_STEP;
  let result: ModelResult | undefined;
  const request = modelRequestOf(call);
  if (lookup.hit) return answerFromCache(dependencies, call, lookup.hit, { started });
  const hold = await holdBudget(dependencies.budgets, call, request);
  if (hold && 'refused' in hold) return budgetRefusal(call, hold.refused);
  // Past its lease another worker would make the call again, and its budget hold may lapse: it ends first.
  const leaseMs = dependencies.modelCallLeaseMs ?? DEFAULT_MODEL_CALL_LEASE_MS;
  const lease = AbortSignal.timeout(leaseMs);
  try {
    // Nobody waits for the tokens of an unstreamed turn, so none are published.
    if (!call.streamed) {
      result = await model.generate({ ...request, abortSignal: lease });
    } else {
      // A claim that cannot be recorded stops the call at once, rather than at its next token.
      const unclaimed = startRecorded && new AbortController();
      startRecorded?.catch(() => unclaimed?.abort());
      const parts = model.stream({ ...request, abortSignal: unclaimed ? AbortSignal.any([lease, unclaimed.signal]) : lease });
      // What the stream has on hand at once (a fast model's burst) goes out as few deltas.
      for await (const burst of microBatches(parts, MAX_PARTS_PER_BURST)) {
        const finish = burst.find((part) => part.type === 'finish');
        if (finish) result = finish.result;
        const deltas = coalesceParts(burst.filter((part) => part.type !== 'finish'));
        if (deltas.length === 0) continue;
        firstTokenAt ??= performance.now();
        if (startRecorded) {
          await startRecorded;
          startRecorded = undefined;
        }
        for (const part of deltas) {
          sequence += 1;
          await publishDelta(dependencies, { turnId, sequence, step: prompt.step, part });
        }
      }
    }
    if (!result) throw new ModelCallError('disconnected', 'the stream ended without a finish part');
  } catch (error) {
    settleBudget(dependencies.budgets, hold, estimatedSpendingOf(error)?.costMicros ?? 0, dependencies.logger);
    return failedCall(dependencies, call, error, performance.now() - started, lease.aborted ? leaseMs : undefined);
  }
  const routing = routingReportOf(result);
  const chosen = routing?.candidates.find((candidate) => candidate.deployment === routing.chosen);
  const costMicros = (result as { costMicros?: number }).costMicros;
  settleBudget(dependencies.budgets, hold, costMicros ?? 0, dependencies.logger);
  return {
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
      costMicros,
      routing,
      now: new Date(),
    },
  };
}

export function modelRequestOf(call: PlannedModelCall): ModelRequest {
  const { prompt } = call;
  return { messages: prompt.messages, tools: prompt.tools, ...prompt.parameters, ...(call.endUser !== undefined && { user: call.endUser }) };
}

/** A cache hit as the call's completion; streaming clients get it as deltas like any answer, unless `publishDeltas` is false. */
export async function answerFromCache(
  dependencies: TurnPipelineDependencies,
  call: PlannedModelCall,
  hit: CachedResponse,
  options: { started?: number; publishDeltas?: boolean } = {},
): Promise<CompleteModelCall> {
  const started = options.started ?? performance.now();
  if (call.streamed && options.publishDeltas !== false) await publishWhole(dependencies, call, hit);
  return cachedCompletion(call, hit, Math.round(performance.now() - started));
}

/** A cached answer reaches streaming clients as one delta per part, like a very fast model. */
async function publishWhole(dependencies: TurnPipelineDependencies, call: PlannedModelCall, answer: { text: string; toolCalls: ModelToolCall[] }): Promise<void> {
  const { turnId, prompt } = call;
  const parts: Exclude<ModelStreamPart, { type: 'finish' }>[] = answer.text ? [{ type: 'text-delta', text: answer.text }] : [];
  answer.toolCalls.forEach((toolCall, index) => {
    parts.push({ type: 'tool-call-start', index, id: toolCall.id, name: toolCall.name }, { type: 'tool-call-delta', index, argumentsDelta: toolCall.arguments });
  });
  let sequence = prompt.step * DELTAS_PER_STEP;
  for (const part of parts) {
    sequence += 1;
    await publishDelta(dependencies, { turnId, sequence, step: prompt.step, part });
  }
}

/** Deltas are a courtesy to streaming clients; the answer is recorded whole in ModelCallCompleted. */
async function publishDelta(dependencies: TurnPipelineDependencies, delta: TurnDelta): Promise<void> {
  await dependencies.deltas.publish(delta).catch((error: unknown) => {
    dependencies.logger.warn({ err: error, turnId: delta.turnId }, 'could not publish a token delta');
  });
}

/** A hard budget with no room for the call's worst case: the call never goes out. */
function budgetRefusal(call: PlannedModelCall, refusal: BudgetExhaustedError): FailModelCall {
  return {
    type: 'FailModelCall',
    data: {
      step: call.prompt.step,
      callId: call.callId,
      errorKind: 'budget-exceeded',
      message: refusal.message,
      retryable: false,
      attempts: 1,
      budget: refusal.exhaustion(),
      now: new Date(),
    },
  };
}

function failedCall(dependencies: TurnPipelineDependencies, call: PlannedModelCall, error: unknown, elapsedMs: number, leaseEndedAfterMs?: number): FailModelCall {
  const thrown = ModelCallError.from(error);
  const known =
    leaseEndedAfterMs === undefined
      ? thrown
      : new ModelCallError('timeout', `the model call did not end within its lease of ${leaseEndedAfterMs} ms (TESSERA_MODEL_CALL_LEASE_MS)`, thrown.details);
  const routing = routingReportOf(error);
  const partialToolCalls = partialToolCallsOf(error);
  dependencies.logger.warn({ err: error, turnId: call.turnId, callId: call.callId, elapsedMs }, 'model call failed');
  return {
    type: 'FailModelCall',
    data: {
      step: call.prompt.step,
      callId: call.callId,
      errorKind: known.kind,
      message: known.message,
      retryable: known.retryable,
      partialText: known.details.partialText,
      ...(partialToolCalls.length > 0 && { partialToolCalls }),
      ...estimatedSpendingOf(error),
      attempts: Math.max(1, routing?.attempts.length ?? 0),
      routing,
      now: new Date(),
    },
  };
}

/**
 * PromptBuilt → ModelCallStarted → (deltas on the DELTAS channel) → ModelCallCompleted
 * or ModelCallFailed. The call id derives from the PromptBuilt event: a redelivery
 * after the call completed finds the turn past this step and calls nothing. A call
 * started elsewhere (an API process driving the turn inline, or this handler before a
 * crash) is left to its starter until the lease runs out, so it is not paid twice.
 */
export function createCallModelHandler(dependencies: TurnPipelineDependencies): PipelineHandler {
  const leaseMs = dependencies.modelCallLeaseMs ?? DEFAULT_MODEL_CALL_LEASE_MS;
  return {
    name: 'turn-call-model',
    category: 'turn',
    eventTypes: ['PromptBuilt'],
    async handle(event) {
      const state = await loadTurnForHandler(dependencies, turnIdOf(event));
      const planned = planModelCall(state, { id: event.id, data: event.data as PromptBuiltData }, dependencies);
      if (!planned) return;
      if ('failTurn' in planned) {
        await runTurnCommand(dependencies.store, event, 'model-call/unknown-model', planned.failTurn);
        return;
      }
      const { call } = planned;
      const inFlight = state.status === 'none' ? undefined : state.modelCalls.find((tracked) => tracked.callId === call.callId && tracked.outcome === 'started');
      const startedElsewhere = inFlight !== undefined && inFlight.startedBy !== dependencies.processId;
      const leaseLeftMs = startedElsewhere && inFlight.startedAt ? Date.parse(inFlight.startedAt) + takeoverAfterMs(leaseMs) - Date.now() : 0;
      if (leaseLeftMs > 0) throw new RetryLaterError(leaseLeftMs, `model call ${call.callId} is in flight elsewhere`);
      await runTurnCommand(dependencies.store, event, 'model-call/start', startModelCallCommand(call, dependencies.processId));
      const lookup = await lookUpCachedAnswer(dependencies, call, modelRequestOf(call));
      const outcome = await performModelCall(dependencies, call, lookup);
      if (outcome.type === 'FailModelCall') {
        await runTurnCommand(dependencies.store, event, 'model-call/fail', outcome);
        return;
      }
      await runTurnCommand(dependencies.store, event, 'model-call/complete', outcome);
      rememberAnswer(dependencies, lookup, call, outcome.data);
    },
  };
}
