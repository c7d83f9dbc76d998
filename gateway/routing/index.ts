export {
  aliasForTask,
  DEFAULT_TASK_ROUTES,
  deploymentEncoding,
  isEmbeddingAlias,
  GatewayConfigError,
  gatewayConfigSchema,
  parseGatewayConfig,
  ROUTING_STRATEGIES,
  type AliasRoute,
  type Deployment,
  type GatewayConfig,
  type GatewayConfigInput,
  type RoutingStrategy,
  type SecretEnvironment,
} from './deployments.js';
export { costMicrosOf, costOf, estimateEmbeddingCost, estimateRequestCost } from './estimate-cost.js';
export { createLatencyTracker, type LatencyTracker } from './latency-tracker.js';
export { planEmbeddingRoute, planRoute, type RoutePlan } from './plan-route.js';
export { rankDeployments, type RankedDeployment, type RankingContext } from './rank-deployments.js';
export { routingReportOf, type RetryRefusal, type RoutingAttempt, type RoutingCandidate, type RoutingReport, type RoutingSkip } from './routing-report.js';
export { seededRandom } from './seeded-random.js';
