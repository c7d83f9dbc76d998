import { describe, expect, it } from 'vitest';
import { priceTableOf } from '../../bin/composition/price-table.js';
import { parseGatewayConfig } from '../../gateway/routing/index.js';
import { createCostLedgerProjection } from './cost-ledger.projection.js';
import { createPriceTable, emptyPriceTable } from './price-table.js';

const cheap = { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 };
const dear = { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 };

const deployment = (name: string, model: string, prices: typeof cheap, baseUrl = 'http://127.0.0.1:9/v1') => ({
  name,
  provider: 'openai-compatible',
  baseUrl,
  model,
  contextWindow: 128_000,
  prices,
});

describe('price table', () => {
  const table = createPriceTable([
    { name: 'east', provider: 'openai-compatible', model: 'gpt-small', prices: cheap },
    { name: 'west', provider: 'openai-compatible', model: 'gpt-small', prices: dear },
  ]);

  it('prices a call by the deployment that answered it', () => {
    expect(table.pricesOf({ deployment: 'west', provider: 'openai-compatible', modelId: 'gpt-small' })).toEqual(dear);
  });

  it('prices a call without routing by the first deployment serving its provider and model', () => {
    expect(table.pricesOf({ provider: 'openai-compatible', modelId: 'gpt-small' })).toEqual(cheap);
    expect(table.pricesOf({ deployment: 'gone', provider: 'openai-compatible', modelId: 'gpt-small' })).toEqual(cheap);
  });

  it('knows no price for a model nothing serves', () => {
    expect(table.pricesOf({ provider: 'local', modelId: 'local-extractive' })).toBeUndefined();
    expect(emptyPriceTable.pricesOf({ provider: 'openai-compatible', modelId: 'gpt-small' })).toBeUndefined();
  });
});

describe('cost ledger version', () => {
  const versionOf = (aliases: Record<string, { deployments: ReturnType<typeof deployment>[] }>) =>
    createCostLedgerProjection(priceTableOf(parseGatewayConfig({ aliases }))).version;
  const launch = versionOf({ 'chat/default': { deployments: [deployment('east', 'gpt-small', cheap), deployment('big', 'gpt-large', dear)] } });

  it('is a positive integer that fits the integer column of checkpoints', () => {
    expect(Number.isInteger(launch)).toBe(true);
    expect(launch).toBeGreaterThan(0);
    expect(launch).toBeLessThanOrEqual(2_147_483_647);
  });

  it('changes when a price changes, so the next start re-prices history', () => {
    const discounted = { ...dear, outputPerMillion: 8 };
    expect(versionOf({ 'chat/default': { deployments: [deployment('east', 'gpt-small', cheap), deployment('big', 'gpt-large', discounted)] } })).not.toBe(launch);
    expect(createCostLedgerProjection(emptyPriceTable).version).not.toBe(launch);
  });

  it('stays when nothing that prices a call changed: deployment order across aliases, URLs, aliases', () => {
    expect(
      versionOf({
        'chat/cheap': { deployments: [deployment('east', 'gpt-small', cheap, 'http://10.0.0.7:8000/v1')] },
        'chat/default': { deployments: [deployment('big', 'gpt-large', dear), deployment('east', 'gpt-small', cheap, 'http://10.0.0.7:8000/v1')] },
      }),
    ).toBe(launch);
  });
});
