import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelMessage, ModelRequest, ModelResponseFormat, ModelTool, ModelToolChoice } from '../model-spec.js';
import { cacheKeyOf, isCacheable, type CacheKeyInput } from './cache-key.js';
import { canonicalJson } from './canonical-json.js';

const text = fc.string({ maxLength: 12 });
const optional = <Value>(arbitrary: fc.Arbitrary<Value>) => fc.option(arbitrary, { nil: undefined });
const jsonObject = fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) as fc.Arbitrary<Record<string, unknown>>;

const message: fc.Arbitrary<ModelMessage> = fc.oneof(
  fc.record({ role: fc.constantFrom('system' as const, 'developer' as const, 'user' as const), content: text, name: optional(text) }),
  fc.record({ role: fc.constant('assistant' as const), content: text, toolCalls: optional(fc.array(fc.record({ id: text, name: text, arguments: text }), { maxLength: 2 })) }),
  fc.record({ role: fc.constant('tool' as const), content: text, toolCallId: text }),
);
const tool: fc.Arbitrary<ModelTool> = fc.record({ name: text, description: optional(text), parameters: jsonObject, strict: optional(fc.boolean()) });
const toolChoice: fc.Arbitrary<ModelToolChoice> = fc.oneof(fc.constantFrom('auto' as const, 'none' as const, 'required' as const), fc.record({ name: text }));
const responseFormat: fc.Arbitrary<ModelResponseFormat> = fc.oneof(
  fc.constant({ type: 'text' as const }),
  fc.constant({ type: 'json_object' as const }),
  fc.record({ type: fc.constant('json_schema' as const), name: text, schema: jsonObject, strict: optional(fc.boolean()) }),
);
const request: fc.Arbitrary<ModelRequest> = fc.record({
  messages: fc.array(message, { minLength: 1, maxLength: 4 }),
  tools: optional(fc.array(tool, { maxLength: 3 })),
  toolChoice: optional(toolChoice),
  parallelToolCalls: optional(fc.boolean()),
  responseFormat: optional(responseFormat),
  temperature: optional(fc.double({ min: 0, max: 2, noNaN: true })),
  topP: optional(fc.double({ min: 0, max: 1, noNaN: true })),
  presencePenalty: optional(fc.double({ min: -2, max: 2, noNaN: true })),
  frequencyPenalty: optional(fc.double({ min: -2, max: 2, noNaN: true })),
  logitBias: optional(fc.dictionary(fc.integer({ min: 0, max: 200_000 }).map(String), fc.integer({ min: -100, max: 100 }), { maxKeys: 3 })),
  reasoningEffort: optional(fc.constantFrom('low' as const, 'medium' as const, 'high' as const)),
  maxOutputTokens: optional(fc.integer({ min: 1, max: 1_000_000 })),
  seed: optional(fc.integer({ min: -1_000_000, max: 1_000_000 })),
  stop: optional(fc.array(text, { maxLength: 3 })),
  user: optional(text),
});
const keyInput: fc.Arbitrary<CacheKeyInput> = fc.record({
  tenantId: text,
  alias: text,
  model: fc.record({ provider: text, modelId: text, cacheScope: optional(text) }),
  request,
  promptName: optional(text),
  promptVersion: optional(fc.nat({ max: 1_000 })),
  retrievedDocIds: optional(fc.array(text, { maxLength: 5 })),
});

type Path = (string | number)[];

/** Paths to every defined primitive inside a value. */
function leafPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leafPaths(item, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, member]) => (member === undefined ? [] : leafPaths(member, [...path, key])));
  }
  return value === undefined ? [] : [path];
}

/** A primitive that serialises differently from the one given. */
function changed(leaf: unknown): unknown {
  if (typeof leaf === 'string') return `${leaf}x`;
  if (typeof leaf === 'boolean') return !leaf;
  if (typeof leaf === 'number') return leaf === 0 ? 1 : -leaf;
  return 'x';
}

/** A copy of `value` with the leaf at `path` changed. */
function withLeafChanged<Value>(value: Value, path: Path): Value {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  parent[last] = changed(parent[last]);
  return copy as Value;
}

const pick = <Item>(items: readonly Item[], choice: number): Item => items[choice % items.length]!;
const nextToolChoice = (current: ModelToolChoice | undefined): ModelToolChoice =>
  current === undefined ? 'auto' : typeof current === 'string' ? (current === 'auto' ? 'none' : 'auto') : { name: `${current.name}x` };
const nextResponseFormat = (current: ModelResponseFormat | undefined): ModelResponseFormat =>
  current === undefined || current.type === 'json_object' ? { type: 'text' } : current.type === 'text' ? { type: 'json_object' } : { ...current, name: `${current.name}x` };

/** Each edit changes exactly one keyed field of the input (`choice` picks where, for the deep ones). */
const keyedChanges: Record<string, (input: CacheKeyInput, choice: number) => CacheKeyInput | undefined> = {
  tenant: (input) => ({ ...input, tenantId: `${input.tenantId}x` }),
  alias: (input) => ({ ...input, alias: `${input.alias}x` }),
  'the model behind the alias': (input) => ({ ...input, model: { ...input.model, modelId: `${input.model.modelId}x` } }),
  'its provider': (input) => ({ ...input, model: { ...input.model, provider: `${input.model.provider}x` } }),
  'where it is served': (input) => ({ ...input, model: { ...input.model, cacheScope: `${input.model.cacheScope ?? ''}x` } }),
  'a value deep inside the messages': (input, choice) => ({ ...input, request: { ...input.request, messages: withLeafChanged(input.request.messages, pick(leafPaths(input.request.messages), choice)) } }),
  'one more message': (input) => ({ ...input, request: { ...input.request, messages: [...input.request.messages, { role: 'user', content: '' }] } }),
  'the order of the messages': (input) => {
    const reversed = [...input.request.messages].reverse();
    return canonicalJson(reversed) === canonicalJson(input.request.messages) ? undefined : { ...input, request: { ...input.request, messages: reversed } };
  },
  'a value deep inside the tools': (input, choice) => {
    const paths = leafPaths(input.request.tools ?? []);
    if (paths.length === 0) return { ...input, request: { ...input.request, tools: [...(input.request.tools ?? []), { name: 'added', parameters: {} }] } };
    return { ...input, request: { ...input.request, tools: withLeafChanged(input.request.tools, pick(paths, choice)) } };
  },
  'a member added to a tool schema': (input) => {
    const tools = input.request.tools ?? [];
    if (tools.length === 0) return undefined;
    const [first, ...rest] = tools;
    return { ...input, request: { ...input.request, tools: [{ ...first!, parameters: { ...first!.parameters, ['added member']: true } }, ...rest] } };
  },
  'tool choice': (input) => ({ ...input, request: { ...input.request, toolChoice: nextToolChoice(input.request.toolChoice) } }),
  'parallel tool calls': (input) => ({ ...input, request: { ...input.request, parallelToolCalls: input.request.parallelToolCalls === false } }),
  'response format': (input) => ({ ...input, request: { ...input.request, responseFormat: nextResponseFormat(input.request.responseFormat) } }),
  temperature: (input) => ({ ...input, request: { ...input.request, temperature: input.request.temperature === undefined ? 0 : input.request.temperature + 0.5 } }),
  'top p': (input) => ({ ...input, request: { ...input.request, topP: input.request.topP === undefined ? 1 : input.request.topP + 0.25 } }),
  'presence penalty': (input) => ({ ...input, request: { ...input.request, presencePenalty: (input.request.presencePenalty ?? 0) + 0.5 } }),
  'frequency penalty': (input) => ({ ...input, request: { ...input.request, frequencyPenalty: (input.request.frequencyPenalty ?? 0) + 0.5 } }),
  'a token bias': (input) => ({ ...input, request: { ...input.request, logitBias: { ...input.request.logitBias, '50256': (input.request.logitBias?.['50256'] ?? 0) + 1 } } }),
  'reasoning effort': (input) => ({ ...input, request: { ...input.request, reasoningEffort: input.request.reasoningEffort === 'low' ? 'high' : 'low' } }),
  'max output tokens': (input) => ({ ...input, request: { ...input.request, maxOutputTokens: (input.request.maxOutputTokens ?? 0) + 1 } }),
  seed: (input) => ({ ...input, request: { ...input.request, seed: input.request.seed === undefined ? 0 : input.request.seed + 1 } }),
  'stop sequences': (input) => ({ ...input, request: { ...input.request, stop: [...(input.request.stop ?? []), 'x'] } }),
  'prompt name': (input) => ({ ...input, promptName: `${input.promptName ?? ''}x` }),
  'prompt version': (input) => ({ ...input, promptVersion: input.promptVersion === undefined ? 0 : input.promptVersion + 1 }),
  'one more retrieved document': (input) => ({ ...input, retrievedDocIds: [...(input.retrievedDocIds ?? []), 'doc'] }),
  'the order of the retrieved documents': (input) => {
    const ids = input.retrievedDocIds ?? [];
    const reversed = [...ids].reverse();
    return reversed.join('\u0000') === ids.join('\u0000') ? undefined : { ...input, retrievedDocIds: reversed };
  },
};

/** The same value with the keys of every object inserted in another order. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, seed));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const rotated = entries.map((_, index) => entries[(index + seed) % entries.length]!).reverse();
  const result = Object.create(null) as Record<string, unknown>;
  for (const [key, member] of rotated) result[key] = reorderKeys(member, seed);
  return result;
}

describe('cacheKeyOf', () => {
  it('is a sha256 in hex', () => {
    fc.assert(
      fc.property(keyInput, (input) => {
        expect(cacheKeyOf(input)).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });

  for (const [field, change] of Object.entries(keyedChanges)) {
    it(`changes when ${field} changes`, () => {
      fc.assert(
        fc.property(keyInput, fc.nat(), (input, choice) => {
          const edited = change(input, choice);
          fc.pre(edited !== undefined);
          expect(cacheKeyOf(edited)).not.toBe(cacheKeyOf(input));
        }),
      );
    });
  }

  it('stays the same whatever order object keys were written in, at any depth', () => {
    fc.assert(
      fc.property(keyInput, fc.nat({ max: 10 }), (input, seed) => {
        expect(cacheKeyOf(reorderKeys(input, seed) as CacheKeyInput)).toBe(cacheKeyOf(input));
      }),
    );
  });

  it('ignores what cannot change the answer: the end-user id, the abort signal, members left undefined', () => {
    fc.assert(
      fc.property(keyInput, text, (input, user) => {
        const same = { ...input, request: { ...input.request, user, abortSignal: AbortSignal.timeout(1_000), toolChoice: input.request.toolChoice ?? undefined } };
        expect(cacheKeyOf(same)).toBe(cacheKeyOf(input));
      }),
    );
  });
});

describe('isCacheable', () => {
  it('caches only deterministic requests: temperature 0, or a seed', () => {
    expect(isCacheable({ temperature: 0 })).toBe(true);
    expect(isCacheable({ temperature: 1, seed: 42 })).toBe(true);
    expect(isCacheable({ seed: 0 })).toBe(true);
    expect(isCacheable({ temperature: 0.7 })).toBe(false);
    // No temperature means the provider's default, which is not 0.
    expect(isCacheable({})).toBe(false);
  });
});
