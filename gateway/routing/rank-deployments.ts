import type { AliasRoute, Deployment } from './deployments.js';
import type { LatencyTracker } from './latency-tracker.js';

export interface RankingContext {
  /** [0, 1); pass a seeded source where routing must be reproducible. */
  random: () => number;
  latency: LatencyTracker;
  /** Chance that `lowest-latency` tries another deployment first, so its figure stays current. */
  explorationRate: number;
  /** This request's estimated cost on a deployment; only `lowest-cost` asks. */
  estimateCost: (deployment: Deployment) => number;
}

export interface RankedDeployment {
  deployment: Deployment;
  /** Why it ranks here, in words, for the routing report. */
  reason: string;
}

/** The alias's deployments in the order to try them: the first pick, then the fallback chain. */
export function rankDeployments(route: AliasRoute, context: RankingContext): RankedDeployment[] {
  switch (route.strategy) {
    case 'priority':
      return route.deployments.map((deployment, index) => ({ deployment, reason: `priority ${index + 1}` }));
    case 'weighted':
      return rankByWeight(route.deployments, context.random);
    case 'lowest-latency':
      return rankByLatency(route.deployments, context);
    case 'lowest-cost':
      return rankByCost(route.deployments, context.estimateCost);
  }
}

const weightOf = (deployment: Deployment): number => deployment.weight ?? 1;

/** A weighted draw without replacement: the first pick follows the weights, and so does the fallback order. */
function rankByWeight(deployments: readonly Deployment[], random: () => number): RankedDeployment[] {
  const remaining = [...deployments];
  const ranked: RankedDeployment[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, deployment) => sum + weightOf(deployment), 0);
    let point = random() * total;
    let index = remaining.findIndex((deployment) => (point -= weightOf(deployment)) < 0);
    // Rounding can leave `point` a hair above zero after the last weight.
    if (index === -1) index = remaining.length - 1;
    const [deployment] = remaining.splice(index, 1);
    if (deployment) ranked.push({ deployment, reason: `drawn by weight ${weightOf(deployment)} of ${total}` });
  }
  return ranked;
}

/**
 * Unmeasured deployments first (in configured order), so each gets a figure; then by
 * average latency. Now and then a slower one goes first, or a deployment that was slow
 * once would never be measured again.
 */
function rankByLatency(deployments: readonly Deployment[], context: RankingContext): RankedDeployment[] {
  const unmeasured = deployments.filter((deployment) => context.latency.estimate(deployment.name) === undefined);
  const measured = deployments
    .filter((deployment) => context.latency.estimate(deployment.name) !== undefined)
    .map((deployment) => ({ deployment, milliseconds: context.latency.estimate(deployment.name) ?? 0 }))
    .sort((left, right) => left.milliseconds - right.milliseconds);
  const ranked: RankedDeployment[] = [
    ...unmeasured.map((deployment) => ({ deployment, reason: 'not measured yet' })),
    ...measured.map(({ deployment, milliseconds }) => ({ deployment, reason: `average latency ${Math.round(milliseconds)} ms` })),
  ];
  if (unmeasured.length === 0 && ranked.length > 1 && context.random() < context.explorationRate) {
    const index = 1 + Math.floor(context.random() * (ranked.length - 1));
    const [explored] = ranked.splice(index, 1);
    if (explored) ranked.unshift({ deployment: explored.deployment, reason: `exploring: ${explored.reason}` });
  }
  return ranked;
}

/** Cheapest first for this request's token counts; ties keep the configured order. */
function rankByCost(deployments: readonly Deployment[], estimateCost: (deployment: Deployment) => number): RankedDeployment[] {
  return deployments
    .map((deployment) => ({ deployment, cost: estimateCost(deployment) }))
    .sort((left, right) => left.cost - right.cost)
    .map(({ deployment, cost }) => ({ deployment, reason: `estimated cost ${cost.toPrecision(3)}` }));
}
