import { FakeDirectiveError, parseDirectiveHeader, parseDirectives, type FakeDirective } from './parse-directives.js';

export interface FakeToolCall {
  name: string;
  /** JSON text, sent as the model would. */
  arguments: string;
}

/** What the fake upstream does for one request; see `parse-directives.ts` for the syntax. */
export interface FakeScenario {
  reply?: string;
  toolCalls: FakeToolCall[];
  /** Fail with this HTTP status and an OpenAI-shaped error body. */
  status?: number;
  /** Raw `Retry-After` value: seconds or an HTTP date. */
  retryAfter?: string;
  retryAfterMs?: number;
  /** Streams: headers go out at once, the first chunk after this long. Otherwise like `delayMs`. */
  hangBeforeFirstTokenMs?: number;
  /** Destroy the socket after writing this many SSE chunks (before any body without streaming). */
  disconnectAfterChunks?: number;
  /** Answer, headers included, after this long. */
  delayMs?: number;
  contextOverflow: boolean;
  /** Prompts longer than this many (approximate) tokens fail as a context overflow. */
  contextWindow?: number;
  cachedTokens: number;
  finishReason?: string;
}

/**
 * Builds the scenario from directives in order: later ones win, `tool` accumulates and
 * `args` belongs to the `tool` before it. Unknown names fail loudly so a typo in a test
 * does not silently fall back to the default reply.
 */
export function scenarioFromDirectives(directives: readonly FakeDirective[]): FakeScenario {
  const scenario: FakeScenario = { toolCalls: [], contextOverflow: false, cachedTokens: 0 };
  for (const { key, value } of directives) {
    switch (key) {
      case 'reply':
        scenario.reply = text(key, value);
        break;
      case 'tool':
        scenario.toolCalls.push({ name: text(key, value), arguments: '{}' });
        break;
      case 'args': {
        const last = scenario.toolCalls.at(-1);
        if (!last) throw new FakeDirectiveError('`args` must follow a `tool`');
        last.arguments = text(key, value);
        break;
      }
      case 'status':
        scenario.status = integer(key, value, 100, 599);
        break;
      case 'retry-after':
        scenario.retryAfter = text(key, value);
        break;
      case 'retry-after-ms':
        scenario.retryAfterMs = integer(key, value);
        break;
      case 'hang-before-first-token':
        scenario.hangBeforeFirstTokenMs = integer(key, value);
        break;
      case 'disconnect-after-chunks':
        scenario.disconnectAfterChunks = integer(key, value);
        break;
      case 'delay':
        scenario.delayMs = integer(key, value);
        break;
      case 'context-overflow':
        scenario.contextOverflow = value === true || value === 'true';
        break;
      case 'context-window':
        scenario.contextWindow = integer(key, value);
        break;
      case 'cached-tokens':
        scenario.cachedTokens = integer(key, value);
        break;
      case 'finish-reason':
        scenario.finishReason = text(key, value);
        break;
      default:
        throw new FakeDirectiveError(`unknown fake directive \`${key}\``);
    }
  }
  return scenario;
}

/**
 * Deployments that misbehave by name, so fallback tests can route to them:
 * `fake-fail-<status>` always fails with that status, `fake-context-overflow` always
 * overflows, `fake-context-<tokens>` has that small a context window.
 */
export function directivesForModel(model: string): FakeDirective[] {
  const failing = /^fake-fail-(\d{3})$/.exec(model);
  if (failing?.[1]) return [{ key: 'status', value: failing[1] }];
  if (model === 'fake-context-overflow') return [{ key: 'context-overflow', value: true }];
  const window = /^fake-context-(\d+)$/.exec(model);
  if (window?.[1]) return [{ key: 'context-window', value: window[1] }];
  return [];
}

function text(key: string, value: string | true): string {
  if (value === true) throw new FakeDirectiveError(`\`${key}\` needs a value`);
  return value;
}

function integer(key: string, value: string | true, minimum = 0, maximum = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(text(key, value));
  if (!Number.isInteger(parsed) || parsed < minimum || parsed > maximum) {
    throw new FakeDirectiveError(`\`${key}\` must be an integer from ${minimum} to ${maximum}, got ${String(value)}`);
  }
  return parsed;
}

/**
 * The scenario for one request: the deployment's name first, then directives in the
 * prompt, then the `x-fake-scenario` header, later ones winning.
 */
export function resolveScenario(sources: { model: string; texts: readonly string[]; header: string | string[] | undefined }): FakeScenario {
  const headers = sources.header === undefined ? [] : [sources.header].flat();
  return scenarioFromDirectives([
    ...directivesForModel(sources.model),
    ...sources.texts.flatMap((text) => parseDirectives(text)),
    ...headers.flatMap((header) => parseDirectiveHeader(header)),
  ]);
}
