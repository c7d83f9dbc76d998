import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aliasForTask, cacheScopeOf, GatewayConfigError, parseGatewayConfig } from './deployments.js';

const prices = { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 };
const openAi = { provider: 'openai-compatible', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test', prices };

const valid = {
  aliases: {
    'chat/default': {
      strategy: 'lowest-latency',
      deployments: [
        { ...openAi, name: 'gpt-4o-mini', model: 'gpt-4o-mini', contextWindow: 128_000, maxOutputTokens: 16_384, timeouts: { firstTokenMs: 5_000, idleMs: 10_000, totalMs: 60_000 } },
        { name: 'local', provider: 'local', model: 'local', contextWindow: 8_192, prices: { inputPerMillion: 0, cachedInputPerMillion: 0, outputPerMillion: 0 } },
      ],
    },
    'chat/cheap': { deployments: [{ ...openAi, name: 'gpt-4o-mini', model: 'gpt-4o-mini', contextWindow: 128_000, maxOutputTokens: 16_384, timeouts: { firstTokenMs: 5_000, idleMs: 10_000, totalMs: 60_000 } }] },
  },
};

function problems(input: unknown): string {
  try {
    parseGatewayConfig(input);
  } catch (error) {
    if (error instanceof GatewayConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('parseGatewayConfig', () => {
  it('accepts a configuration, defaulting the strategy to priority and the task routes to none', () => {
    const config = parseGatewayConfig(valid);
    expect(config.aliases['chat/default']?.strategy).toBe('lowest-latency');
    expect(config.aliases['chat/cheap']?.strategy).toBe('priority');
    expect(config.tasks).toEqual({});
  });

  it('names the path of each problem', () => {
    const message = problems({
      aliases: {
        'chat/default': {
          strategy: 'fastest',
          deployments: [{ ...openAi, name: 'a', model: 'gpt-4o', contextWindow: -1, prices: { ...prices, outputPerMillion: 'cheap' } }],
        },
      },
    });
    expect(message).toContain('aliases["chat/default"].strategy:');
    expect(message).toContain('aliases["chat/default"].deployments[0].contextWindow:');
    expect(message).toContain('aliases["chat/default"].deployments[0].prices.outputPerMillion:');
  });

  it('takes breaker settings for the file and per deployment, and refuses a breaker with both kinds of rule', () => {
    const withBreakers = {
      breaker: { failureRate: 0.25, windowMs: 60_000, minimumCalls: 20, halfOpenAfterMs: 10_000 },
      aliases: { 'chat/default': { deployments: [{ ...valid.aliases['chat/cheap'].deployments[0]!, breaker: { consecutiveFailures: 2 } }] } },
    };
    const config = parseGatewayConfig(withBreakers);
    expect(config.breaker).toEqual(withBreakers.breaker);
    expect(config.aliases['chat/default']!.deployments[0]!.breaker).toEqual({ consecutiveFailures: 2 });

    const message = problems({ ...withBreakers, breaker: { consecutiveFailures: 3, failureRate: 0.5, minimumCalls: 0 } });
    expect(message).toContain('breaker.failureRate: a breaker opens on consecutiveFailures or on a failure rate, not both');
    expect(message).toContain('breaker.minimumCalls:');
    expect(problems({ ...withBreakers, breaker: { failureRate: 1 } })).toContain('breaker.failureRate:');
  });

  it('requires a base URL for openai-compatible deployments and rejects unknown keys', () => {
    const message = problems({
      aliases: { 'chat/default': { deployments: [{ name: 'a', provider: 'openai-compatible', model: 'm', contextWindow: 10, prices, wieght: 2 }] } },
    });
    expect(message).toContain('aliases["chat/default"].deployments[0]: Unrecognized key: "wieght"');
    expect(message).toContain('aliases["chat/default"].deployments[0].baseUrl: required for an openai-compatible deployment');
  });

  it('rejects an output cap as large as the window and timeouts longer than the total', () => {
    const message = problems({
      aliases: {
        'chat/default': {
          deployments: [{ ...openAi, name: 'a', model: 'm', contextWindow: 100, maxOutputTokens: 100, timeouts: { firstTokenMs: 5_000, totalMs: 1_000 } }],
        },
      },
    });
    expect(message).toContain('deployments[0].maxOutputTokens: must be smaller than contextWindow');
    expect(message).toContain('deployments[0].timeouts.firstTokenMs: must not exceed totalMs (1000)');
    expect(problems({ ...valid, timeouts: { idleMs: 5_000, totalMs: 1_000 } })).toContain('timeouts.idleMs: must not exceed totalMs (1000)');
    expect(parseGatewayConfig({ ...valid, timeouts: { firstTokenMs: 2_000, silenceMs: 30_000 } }).timeouts).toEqual({ firstTokenMs: 2_000, silenceMs: 30_000 });
  });

  it('rejects one deployment name defined two ways, and task routes to aliases that do not exist', () => {
    const cheap = { deployments: [{ ...openAi, name: 'gpt-4o-mini', model: 'gpt-4o-mini', contextWindow: 64_000 }] };
    const message = problems({ ...valid, aliases: { ...valid.aliases, 'chat/cheap': cheap }, tasks: { reason: 'chat/reasoning' } });
    expect(message).toContain('aliases["chat/cheap"].deployments[0].name: deployment "gpt-4o-mini" is defined differently in aliases["chat/default"]');
    expect(message).toContain('tasks.reason: alias "chat/reasoning" is not configured');
  });

  it('rejects a configuration without aliases and malformed alias names', () => {
    expect(problems({ aliases: {} })).toContain('aliases: configure at least one alias');
    expect(problems({ aliases: { Default: valid.aliases['chat/cheap'] } })).toContain('aliases.Default: Invalid key in record: an alias looks like `chat/default`');
  });
});

describe('embedding aliases', () => {
  const embedding = (name: string, model: string) => ({ ...openAi, name, model, contextWindow: 8_192 });

  it('serve one model, fall back in the listed order, and take no task', () => {
    const message = problems({
      ...valid,
      aliases: { ...valid.aliases, 'embed/default': { strategy: 'lowest-cost', deployments: [embedding('e1', 'text-embedding-3-small'), embedding('e2', 'nomic-embed-text')] } },
      tasks: { classify: 'embed/default' },
    });
    expect(message).toContain('aliases["embed/default"].deployments: an embedding alias serves one model from one kind of provider (vectors of different models are not comparable); found models text-embedding-3-small, nomic-embed-text');
    const local = { name: 'e3', provider: 'local', model: 'text-embedding-3-small', contextWindow: 8_192, prices };
    expect(problems({ ...valid, aliases: { ...valid.aliases, 'embed/default': { deployments: [embedding('e1', 'text-embedding-3-small'), local] } } })).toContain(
      'found providers openai-compatible, local',
    );
    expect(message).toContain('aliases["embed/default"].strategy: an embedding alias falls back in the listed order: priority');
    expect(message).toContain('tasks.classify: alias "embed/default" is an embedding alias; tasks route to chat aliases');
  });

  it('share no deployment with a chat alias', () => {
    const shared = embedding('shared', 'text-embedding-3-small');
    expect(problems({ aliases: { 'chat/default': { deployments: [shared] }, 'embed/default': { deployments: [shared] } } })).toContain(
      'aliases["embed/default"].deployments[0].name: deployment "shared" serves aliases["chat/default"]; one deployment serves chat or embeddings, not both',
    );
  });

  it('need chat/default beside them, where turns that name no model go', () => {
    const required = `aliases["chat/default"]: required: turns that name no model, and tasks without a route, use it`;
    expect(problems({ aliases: { 'embed/default': { deployments: [embedding('e1', 'text-embedding-3-small')] } } })).toContain(required);
    expect(problems({ aliases: { 'chat/fast': { deployments: [{ ...openAi, name: 'a', model: 'm', contextWindow: 1_000 }] } } })).toContain(required);
  });
});

describe('secrets from the environment', () => {
  const withSecrets = (deployment: Record<string, unknown>) => ({ aliases: { 'chat/default': { deployments: [{ ...openAi, name: 'a', model: 'm', contextWindow: 1_000, ...deployment }] } } });

  it('reads an API key and header values given as { env } when the file is loaded', () => {
    const config = parseGatewayConfig(withSecrets({ apiKey: { env: 'OPENAI_KEY' }, headers: { 'api-key': { env: 'AZURE_KEY' }, 'x-route': 'eu' } }), {
      OPENAI_KEY: 'sk-from-env',
      AZURE_KEY: 'azure-from-env',
    });
    expect(config.aliases['chat/default']!.deployments[0]).toMatchObject({ apiKey: 'sk-from-env', headers: { 'api-key': 'azure-from-env', 'x-route': 'eu' } });
  });

  it('names the field whose variable is not set, and refuses a malformed name', () => {
    const message = problems(withSecrets({ apiKey: { env: 'MISSING_KEY' }, headers: { 'api-key': { env: 'not a name' } } }));
    expect(message).toContain('aliases["chat/default"].deployments[0].apiKey: environment variable MISSING_KEY is not set');
    expect(message).toContain('aliases["chat/default"].deployments[0].headers["api-key"]');
  });
});

describe('the gateway file documented in the README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const example = /<!-- gateway-file:start -->\s*```json\n([\s\S]*?)```\s*<!-- gateway-file:end -->/.exec(readme)?.[1];

  it('is accepted as written, with every deployment field it names', () => {
    const config = parseGatewayConfig(JSON.parse(example ?? 'null'), { OPENAI_API_KEY: 'sk-test', AZURE_OPENAI_KEY: 'azure-test' });
    expect(Object.keys(config.aliases)).toEqual(['chat/default', 'chat/cheap', 'chat/reasoning', 'embed/default']);
    const deployments = Object.values(config.aliases).flatMap((route) => route.deployments);
    const fieldsUsed = new Set(deployments.flatMap((deployment) => Object.keys(deployment)));
    const table = readme.slice(readme.indexOf('<!-- gateway-file:end -->')).split('\n\n')[1] ?? '';
    const documented = [...table.matchAll(/^\| `(\w+)`(?:, `(\w+)`)?(?:, `(\w+)`)? \|/gm)].flatMap((row) => row.slice(1).filter(Boolean));
    for (const field of fieldsUsed) expect(documented).toContain(field);
    expect(aliasForTask(config, 'extract')).toBe('chat/cheap');
    expect(config.aliases['chat/default']!.deployments[0]!.apiKey).toBe('sk-test');
  });
});

describe('aliasForTask', () => {
  it('routes classify and summarize to chat/cheap, reason to chat/reasoning when configured, else to chat/default', () => {
    const config = parseGatewayConfig(valid);
    expect(['classify', 'summarize', 'reason', 'chat'].map((task) => aliasForTask(config, task))).toEqual([
      'chat/cheap',
      'chat/cheap',
      'chat/default',
      'chat/default',
    ]);
    const routed = parseGatewayConfig({ ...valid, tasks: { classify: 'chat/default' } });
    expect(aliasForTask(routed, 'classify')).toBe('chat/default');
  });
});

describe('cacheScopeOf', () => {
  const scopeWith = (overrides: Record<string, unknown>) => {
    const base = valid.aliases['chat/cheap'].deployments[0]!;
    return cacheScopeOf(parseGatewayConfig({ aliases: { 'chat/default': { deployments: [{ ...base, ...overrides }] } } }).aliases['chat/default']!);
  };
  const scope = scopeWith({});

  it('changes with anything that shapes the answers: provider, endpoint, model, request dialect', () => {
    for (const overrides of [{ baseUrl: 'https://eu.example.com/v1' }, { model: 'gpt-4o' }, { developerRole: 'system' }, { outputTokensField: 'max_completion_tokens' }]) {
      expect(scopeWith(overrides)).not.toBe(scope);
    }
    expect(scopeWith({ provider: 'local', baseUrl: undefined, apiKey: undefined })).not.toBe(scope);
  });

  it('stays the same when only keys, prices, weights, timeouts or breakers change', () => {
    for (const overrides of [{ apiKey: 'sk-other' }, { prices: { ...prices, inputPerMillion: 9 } }, { weight: 3 }, { timeouts: { totalMs: 1_000 } }, { breaker: { consecutiveFailures: 2 } }]) {
      expect(scopeWith(overrides)).toBe(scope);
    }
  });
});
