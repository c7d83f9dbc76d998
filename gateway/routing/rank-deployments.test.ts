import { describe, expect, it } from 'vitest';
import type { AliasRoute, Deployment, RoutingStrategy } from './deployments.js';
import { createLatencyTracker } from './latency-tracker.js';
import { planRoute } from './plan-route.js';
import { rankDeployments, type RankingContext } from './rank-deployments.js';
import { seededRandom } from './seeded-random.js';

const deployment = (name: string, overrides: Partial<Deployment> = {}): Deployment => ({
  name,
  provider: 'local',
  model: 'gpt-4o-mini',
  contextWindow: 128_000,
  prices: { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 4 },
  ...overrides,
});
const route = (strategy: RoutingStrategy, deployments: Deployment[]): AliasRoute => ({ strategy, deployments });
const context = (overrides: Partial<RankingContext> = {}): RankingContext => ({
  random: seededRandom(1),
  latency: createLatencyTracker(),
  explorationRate: 0,
  estimateCost: () => 0,
  ...overrides,
});
const names = (ranked: { deployment: Deployment }[]): string[] => ranked.map((entry) => entry.deployment.name);

describe('priority', () => {
  it('keeps the configured order', () => {
    expect(names(rankDeployments(route('priority', [deployment('a'), deployment('b'), deployment('c')]), context()))).toEqual(['a', 'b', 'c']);
  });
});

describe('weighted', () => {
  it('picks each deployment first in proportion to its weight, reproducibly for a seed', () => {
    const weighted = route('weighted', [deployment('a', { weight: 1 }), deployment('b', { weight: 3 }), deployment('c', { weight: 6 })]);
    const firstPicks = (seed: number): Record<string, number> => {
      const random = seededRandom(seed);
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
      for (let pick = 0; pick < 10_000; pick += 1) {
        const first = rankDeployments(weighted, context({ random }))[0]?.deployment.name ?? '';
        counts[first] = (counts[first] ?? 0) + 1;
      }
      return counts;
    };
    const counts = firstPicks(42);
    const shares = Object.values(counts).map((count) => count / 10_000);
    [0.1, 0.3, 0.6].forEach((expected, index) => expect(Math.abs((shares[index] ?? 0) - expected)).toBeLessThan(0.02));
    expect(firstPicks(42)).toEqual(counts);
    expect(firstPicks(7)).not.toEqual(counts);
  });

  it('ranks every deployment once, so the rest form the fallback chain', () => {
    const ranked = rankDeployments(route('weighted', [deployment('a'), deployment('b', { weight: 5 }), deployment('c')]), context());
    expect(names(ranked).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('lowest-latency', () => {
  it('measures unmeasured deployments first, then prefers the faster one', () => {
    const latency = createLatencyTracker();
    const deployments = route('lowest-latency', [deployment('slow'), deployment('fast')]);
    expect(names(rankDeployments(deployments, context({ latency })))).toEqual(['slow', 'fast']);
    latency.record('slow', 900);
    expect(names(rankDeployments(deployments, context({ latency })))).toEqual(['fast', 'slow']);
    latency.record('fast', 120);
    const ranked = rankDeployments(deployments, context({ latency }));
    expect(names(ranked)).toEqual(['fast', 'slow']);
    expect(ranked[0]?.reason).toBe('average latency 120 ms');
  });

  it('follows the moving average when a deployment slows down', () => {
    const latency = createLatencyTracker({ smoothing: 0.5 });
    latency.record('a', 100);
    latency.record('b', 200);
    latency.record('a', 400);
    expect(latency.estimate('a')).toBe(250);
    expect(names(rankDeployments(route('lowest-latency', [deployment('a'), deployment('b')]), context({ latency })))).toEqual(['b', 'a']);
  });

  it('now and then explores a slower deployment, at about the exploration rate', () => {
    const latency = createLatencyTracker();
    latency.record('fast', 50);
    latency.record('slow', 500);
    const random = seededRandom(3);
    const deployments = route('lowest-latency', [deployment('fast'), deployment('slow')]);
    let explored = 0;
    for (let pick = 0; pick < 2_000; pick += 1) {
      const [first] = rankDeployments(deployments, context({ latency, random, explorationRate: 0.1 }));
      if (first?.deployment.name === 'slow') explored += 1;
      if (first?.deployment.name === 'slow') expect(first.reason).toMatch(/^exploring/);
    }
    expect(explored / 2_000).toBeGreaterThan(0.07);
    expect(explored / 2_000).toBeLessThan(0.13);
  });
});

describe('lowest-cost', () => {
  const cheapInput = deployment('cheap-input', { prices: { inputPerMillion: 0.1, cachedInputPerMillion: 0.05, outputPerMillion: 10 } });
  const cheapOutput = deployment('cheap-output', { prices: { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 1 } });
  const plan = (content: string, maxOutputTokens: number) =>
    planRoute('chat/default', route('lowest-cost', [cheapOutput, cheapInput]), { messages: [{ role: 'user', content }], maxOutputTokens }, context());

  it('picks the deployment cheapest for this request’s token counts', () => {
    const longPrompt = 'word '.repeat(5_000);
    expect(plan(longPrompt, 10).runnable.map((entry) => entry.name)).toEqual(['cheap-input', 'cheap-output']);
    expect(plan('hi', 4_000).runnable.map((entry) => entry.name)).toEqual(['cheap-output', 'cheap-input']);
  });

  it('gives the estimated cost as the reason', () => {
    expect(plan('hi', 1_000).report.candidates[0]?.reason).toMatch(/^estimated cost 0\.001\d*/);
  });
});
