/**
 * The model gateway's middleware. Per deployment, from the inside out:
 *
 *   provider → withTimeouts → withCircuitBreaker   (built once, shared by every call)
 *            → withRetries                          (per call, reporting its attempts)
 *
 * and per alias `createGatewayModel` ranks the deployments (routing/), skips those whose
 * context window is too small, falls back along the ranking and returns a GatewayModel:
 * a LanguageModel whose results carry `routing` (a RoutingReport) and `costMicros`, and
 * whose failures are GatewayCallErrors (ModelCallErrors with `routing`).
 * Embedding aliases get the same breakers and retries per deployment, and
 * `createEmbeddingGatewayModel` tries their deployments in the listed order.
 * `createGateway(config)` builds all of it from a parsed gateway configuration.
 */
export { createGateway, type Gateway, type GatewayOptions } from './create-gateway.js';
export { createGatewayModel, type GatewayModelOptions } from './create-gateway-model.js';
export { createDeploymentEmbeddingModel, createDeploymentModel } from './create-deployment-model.js';
export { createEmbeddingGatewayModel, type EmbeddingGatewayModel, type EmbeddingGatewayResult } from './create-embedding-gateway-model.js';
export { GatewayCallError, type GatewayModel, type GatewayResult, type GatewayStreamPart } from './gateway-call-error.js';
export { withEmbeddingRetries, withRetries, type AttemptRecord, type RetryOptions } from './with-retries.js';
export { CircuitOpenError, withCircuitBreaker, withEmbeddingCircuitBreaker, type BreakerRule, type BreakerState, type BreakerTransition, type CircuitBreakerOptions, type GuardedModel } from './with-circuit-breaker.js';
export { withTimeouts, type TimeoutOptions } from './with-timeouts.js';
export { createRetryBudget, type RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { createManualClock, systemClock, type Clock, type ManualClock } from './clock.js';
