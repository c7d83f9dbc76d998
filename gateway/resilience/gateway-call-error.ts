import { ModelCallError } from '../model-call-error.js';
import type { LanguageModel, ModelRequest, ModelResult, ModelStreamPart, ModelToolCall, ModelUsage } from '../model-spec.js';
import type { RoutingReport } from '../routing/routing-report.js';

/** A result as the gateway returns it: the provider's, plus how it was routed and what it cost. */
export type GatewayResult = ModelResult & {
  routing: RoutingReport;
  /** The usage at the answering deployment's configured prices, in millionths of their currency. */
  costMicros: number;
};

export type GatewayStreamPart = Exclude<ModelStreamPart, { type: 'finish' }> | { type: 'finish'; result: GatewayResult };

/**
 * A LanguageModel for one alias. It is one: anything that takes a LanguageModel takes
 * it, and code that knows the wider types reads the routing report from results.
 */
export interface GatewayModel extends LanguageModel {
  readonly alias: string;
  generate(request: ModelRequest): Promise<GatewayResult>;
  stream(request: ModelRequest): AsyncIterable<GatewayStreamPart>;
}

/**
 * What a call that failed after streaming output cost: the provider bills the prompt and
 * the output it sent, though a cut stream reports no usage, so both are counted with the
 * deployment's tokenizer and priced at its prices.
 */
export interface EstimatedSpending {
  usage: ModelUsage;
  costMicros: number;
  provider: string;
  modelId: string;
}

/** What a stream sent before it was cut, and what that cost. */
export interface CutStream {
  spent: EstimatedSpending;
  /** Tool calls the stream had begun, arguments as far as they came: passed on to the consumer already. */
  partialToolCalls: ModelToolCall[];
}

/** What a gateway error says a cut stream cost; undefined for anything else. */
export function estimatedSpendingOf(error: unknown): EstimatedSpending | undefined {
  return error instanceof GatewayCallError ? error.cutStream?.spent : undefined;
}

/** The tool calls a cut stream had begun; empty for anything else. */
export function partialToolCallsOf(error: unknown): ModelToolCall[] {
  return error instanceof GatewayCallError ? (error.cutStream?.partialToolCalls ?? []) : [];
}

/**
 * The gateway's failure: the last deployment's error (same kind, message and details,
 * `partialText` included) with the routing report. Still a ModelCallError, so callers
 * that only know that type keep working; the original is its `cause`.
 */
export class GatewayCallError extends ModelCallError {
  constructor(
    error: ModelCallError,
    readonly routing: RoutingReport,
    readonly cutStream?: CutStream,
  ) {
    super(error.kind, error.message, { ...error.details, cause: error });
    this.name = 'GatewayCallError';
  }
}
