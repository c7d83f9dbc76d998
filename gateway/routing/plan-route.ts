import type { ModelRequest } from '../model-spec.js';
import { promptTokensAtMost, tokenCounterFor, type TokenEncodingName } from '../tokens/count-tokens.js';
import { deploymentEncoding, outputCapOn, type AliasRoute, type Deployment } from './deployments.js';
import { estimateRequestCost, promptTokensOn } from './estimate-cost.js';
import { rankDeployments, type RankingContext } from './rank-deployments.js';
import { createRoutingReport, type RoutingReport } from './routing-report.js';

export interface RoutePlan {
  /** Candidates ranked, with context-window skips already recorded. */
  report: RoutingReport;
  /** The deployments to try, in order. */
  runnable: Deployment[];
}

/**
 * Ranks the alias's deployments for this request and drops those whose context window
 * cannot hold the prompt plus the output cap, counted with each one's tokenizer before
 * anything is sent. A provider rejecting an oversized prompt would cost a round trip
 * and, on some servers, a silently truncated prompt.
 */
export function planRoute(alias: string, route: AliasRoute, request: ModelRequest, context: Omit<RankingContext, 'estimateCost'>): RoutePlan {
  const counted = new Map<TokenEncodingName, number>();
  const promptTokens = (deployment: Deployment): number => {
    const encoding = deploymentEncoding(deployment);
    let tokens = counted.get(encoding);
    if (tokens === undefined) {
      tokens = promptTokensOn(deployment, request);
      counted.set(encoding, tokens);
    }
    return tokens;
  };
  const ranked = rankDeployments(route, {
    ...context,
    estimateCost: (deployment) => estimateRequestCost(deployment, promptTokens(deployment), request.maxOutputTokens),
  });

  const report = createRoutingReport(alias, route.strategy);
  const runnable: Deployment[] = [];
  // Exact counts only where this bound, which needs no tokenizer, does not already fit.
  const atMost = promptTokensAtMost(request);
  for (const { deployment, reason } of ranked) {
    const output = outputCapOn(deployment, request.maxOutputTokens) ?? 0;
    const names = { deployment: deployment.name, provider: deployment.provider, model: deployment.model };
    if (atMost + output > deployment.contextWindow && promptTokens(deployment) + output > deployment.contextWindow) {
      report.candidates.push({
        ...names,
        skipped: 'context-window',
        reason: `${reason}; needs ${promptTokens(deployment)} prompt + ${output} output tokens, its window is ${deployment.contextWindow}`,
      });
      continue;
    }
    report.candidates.push({ ...names, reason });
    runnable.push(deployment);
  }
  return { report, runnable };
}

/**
 * An embedding alias's deployments in the listed order, without those whose context
 * window cannot hold the longest input (each input is embedded on its own, so the
 * window bounds each one, not the batch).
 */
export function planEmbeddingRoute(alias: string, route: AliasRoute, values: readonly string[]): RoutePlan & { inputTokens(deployment: Deployment): number } {
  const counted = new Map<TokenEncodingName, { total: number; longest: number }>();
  const tokensOn = (deployment: Deployment) => {
    const encoding = deploymentEncoding(deployment);
    let tokens = counted.get(encoding);
    if (tokens === undefined) {
      const counter = tokenCounterFor(deployment.model, encoding);
      const each = values.map((value) => counter.text(value));
      tokens = { total: each.reduce((sum, count) => sum + count, 0), longest: Math.max(0, ...each) };
      counted.set(encoding, tokens);
    }
    return tokens;
  };
  const report = createRoutingReport(alias, route.strategy);
  const runnable: Deployment[] = [];
  route.deployments.forEach((deployment, index) => {
    const names = { deployment: deployment.name, provider: deployment.provider, model: deployment.model };
    const reason = `priority ${index + 1}`;
    const { longest } = tokensOn(deployment);
    if (longest > deployment.contextWindow) {
      report.candidates.push({ ...names, skipped: 'context-window', reason: `${reason}; the longest input is ${longest} tokens, its window is ${deployment.contextWindow}` });
      return;
    }
    report.candidates.push({ ...names, reason });
    runnable.push(deployment);
  });
  return { report, runnable, inputTokens: (deployment) => tokensOn(deployment).total };
}
