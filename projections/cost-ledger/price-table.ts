import { createHash } from 'node:crypto';

/** Prices per million tokens, in the billing currency of the configuration. */
export interface TokenPrices {
  inputPerMillion: number;
  cachedInputPerMillion: number;
  outputPerMillion: number;
}

/** A configured deployment as far as pricing is concerned. */
export interface PricedDeployment {
  name: string;
  provider: string;
  model: string;
  prices: TokenPrices;
}

/** What a recorded model call says about where it ran. */
export interface PricedCall {
  /** The deployment routing chose; absent when there was no gateway. */
  deployment?: string;
  provider: string;
  modelId: string;
}

/**
 * The configured prices, looked up for a recorded call. Built from configuration (never
 * hard-coded) so that a changed table re-prices history when the ledger is rebuilt.
 */
export interface PriceTable {
  /** Prices of the call's deployment, else of the first deployment serving its provider and model. */
  pricesOf(call: PricedCall): TokenPrices | undefined;
  /** Canonical text of what `pricesOf` can answer: equal for tables that price every call alike. */
  readonly canonical: string;
}

export function createPriceTable(deployments: readonly PricedDeployment[]): PriceTable {
  const byDeployment = new Map<string, TokenPrices>();
  const byModel = new Map<string, TokenPrices>();
  for (const deployment of deployments) {
    const prices = copyPrices(deployment.prices);
    if (!byDeployment.has(deployment.name)) byDeployment.set(deployment.name, prices);
    const model = modelKey(deployment.provider, deployment.model);
    if (!byModel.has(model)) byModel.set(model, prices);
  }
  const canonical = JSON.stringify({ deployments: sortedEntries(byDeployment), models: sortedEntries(byModel) });
  return {
    pricesOf(call) {
      return (call.deployment === undefined ? undefined : byDeployment.get(call.deployment)) ?? byModel.get(modelKey(call.provider, call.modelId));
    },
    canonical,
  };
}

/** No prices at all: the single deployment of TESSERA_MODEL_* settings, or the local provider. */
export const emptyPriceTable: PriceTable = createPriceTable([]);

/**
 * A positive 31-bit number (the checkpoint's `version` column is an integer) derived from
 * the table and `codeVersion`: any change to either makes the next start rebuild.
 */
export function fingerprintVersion(table: PriceTable, codeVersion: number): number {
  const digest = createHash('sha256').update(`${codeVersion}\n${table.canonical}`).digest();
  return (digest.readUInt32BE(0) % 2_147_483_646) + 1;
}

function modelKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

function copyPrices(prices: TokenPrices): TokenPrices {
  return { inputPerMillion: prices.inputPerMillion, cachedInputPerMillion: prices.cachedInputPerMillion, outputPerMillion: prices.outputPerMillion };
}

function sortedEntries(map: ReadonlyMap<string, TokenPrices>): [string, TokenPrices][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
