import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { DEVELOPER_ROLES } from '../providers/openai-compatible/map-messages.js';
import { OUTPUT_TOKENS_FIELDS } from '../providers/openai-compatible/map-request.js';
import { encodingForModel, TOKEN_ENCODING_NAMES, tokenCounterFor, type TokenCounter, type TokenEncodingName } from '../tokens/count-tokens.js';

export const ROUTING_STRATEGIES = ['priority', 'weighted', 'lowest-latency', 'lowest-cost'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** The variables `{ "env": "NAME" }` secrets are read from. */
export type SecretEnvironment = Readonly<Record<string, string | undefined>>;

const environmentVariable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/** A secret written in the file, or `{ "env": "NAME" }`: read from the environment when the file is loaded, so the file holds no key. */
const secretSchema = (environment: SecretEnvironment) =>
  z.union([z.string().min(1), z.strictObject({ env: environmentVariable })]).transform((secret, context) => {
    if (typeof secret === 'string') return secret;
    const value = environment[secret.env];
    if (value) return value;
    context.addIssue({ code: 'custom', message: `environment variable ${secret.env} is not set` });
    return z.NEVER;
  });

const tokens = z.number().int().positive();
const milliseconds = z.number().int().positive();
const pricePerMillion = z.number().min(0);

/** When a deployment's circuit breaker opens, and how long it stays open before one probe call; unset fields keep the defaults. */
const breakerSchema = z
  .strictObject({
    /** Open after this many failures in a row, instead of on a failure rate. */
    consecutiveFailures: z.number().int().min(1).optional(),
    /** Open when more than this share (0–1, exclusive) of the window's calls failed. */
    failureRate: z.number().gt(0).lt(1).optional(),
    windowMs: milliseconds.optional(),
    /** Calls the window must hold before its failure rate counts. */
    minimumCalls: z.number().int().min(1).optional(),
    halfOpenAfterMs: milliseconds.optional(),
  })
  .superRefine((breaker, context) => {
    if (breaker.consecutiveFailures === undefined) return;
    for (const field of ['failureRate', 'windowMs', 'minimumCalls'] as const) {
      if (breaker[field] !== undefined) context.addIssue({ code: 'custom', path: [field], message: 'a breaker opens on consecutiveFailures or on a failure rate, not both' });
    }
  });

export type BreakerConfig = z.output<typeof breakerSchema>;

/** Time to the first token, idle time between chunks, and the whole call, per attempt; and how long the server may be silent. */
const timeoutsSchema = z
  .strictObject({
    firstTokenMs: milliseconds.optional(),
    idleMs: milliseconds.optional(),
    totalMs: milliseconds.optional(),
    /** Longest silence from the server, before its response and between any two chunks (reasoning included); `totalMs`, else 120 s, when unset. */
    silenceMs: milliseconds.optional(),
  })
  .superRefine((timeouts, context) => {
    const { totalMs } = timeouts;
    if (totalMs === undefined) return;
    for (const field of ['firstTokenMs', 'idleMs'] as const) {
      if ((timeouts[field] ?? 0) > totalMs) context.addIssue({ code: 'custom', path: [field], message: `must not exceed totalMs (${totalMs})` });
    }
  });

const deploymentSchema = (environment: SecretEnvironment) =>
  z
    .strictObject({
      /** Unique across the configuration: breakers and latency figures are kept per name. */
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'letters, digits, `.`, `_`, `:` or `-`, at most 100'),
      provider: z.enum(['openai-compatible', 'local']),
      baseUrl: z.url({ protocol: /^https?$/ }).optional(),
      apiKey: secretSchema(environment).optional(),
      /** Sent with every request (Azure's `api-key`, a proxy's routing header). */
      headers: z.record(z.string(), secretSchema(environment)).optional(),
      model: z.string().min(1),
      /** How developer instructions are sent: `system` for servers whose chat templates lack the developer role (some vLLM, Ollama and llama.cpp models). */
      developerRole: z.enum(DEVELOPER_ROLES).optional(),
      /** The output cap's name: `max_completion_tokens` for OpenAI's reasoning models, which refuse `max_tokens` (the default). */
      outputTokensField: z.enum(OUTPUT_TOKENS_FIELDS).optional(),
      /** Embedding deployments: ask the server to shorten vectors to the index's size (OpenAI's `text-embedding-3-*`). */
      requestDimensions: z.boolean().optional(),
      /** Overrides the encoding guessed from `model` for context-window checks. */
      tokenizer: z.enum(TOKEN_ENCODING_NAMES).optional(),
      contextWindow: tokens,
      maxOutputTokens: tokens.optional(),
      prices: z.strictObject({ inputPerMillion: pricePerMillion, cachedInputPerMillion: pricePerMillion, outputPerMillion: pricePerMillion }),
      /** Share of traffic under the `weighted` strategy, relative to the alias's other weights; 1 when unset. */
      weight: z.number().positive().optional(),
      /** This deployment's timeouts, in place of the file's `timeouts`. */
      timeouts: timeoutsSchema.optional(),
      /** This deployment's breaker, in place of the file's `breaker`. */
      breaker: breakerSchema.optional(),
    })
    .superRefine((deployment, context) => {
      if (deployment.provider === 'openai-compatible' && deployment.baseUrl === undefined) {
        context.addIssue({ code: 'custom', path: ['baseUrl'], message: 'required for an openai-compatible deployment' });
      }
      if (deployment.maxOutputTokens !== undefined && deployment.maxOutputTokens >= deployment.contextWindow) {
        context.addIssue({ code: 'custom', path: ['maxOutputTokens'], message: 'must be smaller than contextWindow' });
      }
    });

const aliasName = z.string().regex(/^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9.-]*$/, 'an alias looks like `chat/default`');

/** Aliases of this kind name embedding models; every other alias names a chat model. */
const EMBEDDING_ALIAS_PREFIX = 'embed/';
export const isEmbeddingAlias = (alias: string): boolean => alias.startsWith(EMBEDDING_ALIAS_PREFIX);

const aliasRouteSchema = (environment: SecretEnvironment) =>
  z.strictObject({
    strategy: z.enum(ROUTING_STRATEGIES).default('priority'),
    /** Tried in this order by `priority`; the fallback chain after the first pick for the others. */
    deployments: z.array(deploymentSchema(environment)).min(1),
  });

/** The gateway file's schema; secrets given as `{ "env": "NAME" }` are read from `environment`. */
export const gatewayConfigSchema = (environment: SecretEnvironment) =>
  z
    .strictObject({
      aliases: z.record(aliasName, aliasRouteSchema(environment)).refine((aliases) => Object.keys(aliases).length > 0, 'configure at least one alias'),
      /** Task → alias; tasks not listed here use `DEFAULT_TASK_ROUTES`. */
      tasks: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), aliasName).default({}),
      /** Every deployment's breaker, unless the deployment sets its own. */
      breaker: breakerSchema.optional(),
      /** Every deployment's timeouts, unless the deployment sets its own. */
      timeouts: timeoutsSchema.optional(),
    })
    .superRefine((config, context) => {
      const seen = new Map<string, { alias: string; deployment: unknown }>();
      for (const [alias, route] of Object.entries(config.aliases)) {
        route.deployments.forEach((deployment, index) => {
          const earlier = seen.get(deployment.name);
          if (earlier && (earlier.alias === alias || !isDeepStrictEqual(earlier.deployment, deployment))) {
            const where = earlier.alias === alias ? 'twice in this alias' : `differently in aliases["${earlier.alias}"]`;
            context.addIssue({ code: 'custom', path: ['aliases', alias, 'deployments', index, 'name'], message: `deployment "${deployment.name}" is defined ${where}` });
          } else if (earlier && isEmbeddingAlias(earlier.alias) !== isEmbeddingAlias(alias)) {
            // Its breaker and latency figure would mix two kinds of calls to two different endpoints.
            context.addIssue({ code: 'custom', path: ['aliases', alias, 'deployments', index, 'name'], message: `deployment "${deployment.name}" serves aliases["${earlier.alias}"]; one deployment serves chat or embeddings, not both` });
          }
          seen.set(deployment.name, { alias, deployment });
        });
      }
      for (const [task, alias] of Object.entries(config.tasks)) {
        if (!(alias in config.aliases)) context.addIssue({ code: 'custom', path: ['tasks', task], message: `alias "${alias}" is not configured` });
        else if (isEmbeddingAlias(alias)) context.addIssue({ code: 'custom', path: ['tasks', task], message: `alias "${alias}" is an embedding alias; tasks route to chat aliases` });
      }
      // A turn that names no model, and a task without a route of its own, go to chat/default.
      if (!('chat/default' in config.aliases)) context.addIssue({ code: 'custom', path: ['aliases', 'chat/default'], message: 'required: turns that name no model, and tasks without a route, use it' });
      for (const [alias, route] of Object.entries(config.aliases)) {
        if (!isEmbeddingAlias(alias)) continue;
        // A vector from another model is not comparable with those already indexed: an embedding alias falls back only between deployments of one model.
        for (const field of ['model', 'provider'] as const) {
          const values = new Set(route.deployments.map((deployment) => deployment[field]));
          if (values.size > 1) {
            const found = [...values].join(', ');
            context.addIssue({ code: 'custom', path: ['aliases', alias, 'deployments'], message: `an embedding alias serves one model from one kind of provider (vectors of different models are not comparable); found ${field}s ${found}` });
          }
        }
        if (route.strategy !== 'priority') context.addIssue({ code: 'custom', path: ['aliases', alias, 'strategy'], message: 'an embedding alias falls back in the listed order: priority' });
      }
    });

export type Deployment = z.output<ReturnType<typeof deploymentSchema>>;
export type AliasRoute = z.output<ReturnType<typeof aliasRouteSchema>>;
export type GatewayConfig = z.output<ReturnType<typeof gatewayConfigSchema>>;
export type GatewayConfigInput = z.input<ReturnType<typeof gatewayConfigSchema>>;

/**
 * What shapes an alias's answers, for its `cacheScope`: each deployment's provider,
 * endpoint, model and request dialect, in order. Secrets, prices, weights, timeouts and
 * breakers change no answer.
 */
export function cacheScopeOf(route: AliasRoute): string {
  return JSON.stringify(
    route.deployments.map((deployment) => [deployment.provider, deployment.baseUrl ?? null, deployment.model, deployment.developerRole ?? null, deployment.outputTokensField ?? null, deployment.requestDimensions === true]),
  );
}

/** The tokenizer a deployment's provider counts with: the one configured, else its model family's. */
export function deploymentEncoding(deployment: Deployment): TokenEncodingName {
  return deployment.tokenizer ?? encodingForModel(deployment.model);
}

/** The output cap a call gets on a deployment: the request's, never above the deployment's own (`maxOutputTokens`). */
export function outputCapOn(deployment: Deployment, requested: number | undefined): number | undefined {
  if (requested === undefined) return deployment.maxOutputTokens;
  return deployment.maxOutputTokens === undefined ? requested : Math.min(requested, deployment.maxOutputTokens);
}

/** The token counter of a deployment's provider. */
export function deploymentTokenCounter(deployment: Deployment): TokenCounter {
  return tokenCounterFor(deployment.model, deploymentEncoding(deployment));
}

/** Where tasks go unless the configuration says otherwise; a missing alias falls back to `chat/default`. */
export const DEFAULT_TASK_ROUTES: Readonly<Record<string, string>> = {
  classify: 'chat/cheap',
  summarize: 'chat/cheap',
  reason: 'chat/reasoning',
};

export class GatewayConfigError extends Error {
  override name = 'GatewayConfigError';
}

/** Parses a gateway configuration; a bad one fails with every problem, each naming its path. */
export function parseGatewayConfig(input: unknown, environment: SecretEnvironment = {}): GatewayConfig {
  const parsed = gatewayConfigSchema(environment).safeParse(input);
  if (parsed.success) return parsed.data;
  throw new GatewayConfigError(`invalid gateway configuration:\n${describeIssues(parsed.error.issues)}`);
}

/** The alias a task runs on: configured, else the default route if that alias exists, else `chat/default`. */
export function aliasForTask(config: GatewayConfig, task: string): string {
  const configured = config.tasks[task];
  if (configured !== undefined) return configured;
  const preferred = DEFAULT_TASK_ROUTES[task];
  return preferred !== undefined && preferred in config.aliases ? preferred : 'chat/default';
}

/** One line per problem: `aliases["chat/default"].deployments[0].prices.inputPerMillion: expected number, received string`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${formatPath(issue.path) || '(root)'}: ${messageOf(issue)}`).join('\n');
}

/** A bad record key says only "Invalid key in record"; what was wrong with it sits one level down. */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_key') return issue.message;
  return `${issue.message}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}
