import { z } from 'zod';

/** One setting: the environment variable, its schema (with default) and what it means. */
export interface Setting<Schema extends z.ZodType = z.ZodType> {
  variable: `TESSERA_${string}`;
  schema: Schema;
  defaultText: string;
  description: string;
}

const milliseconds = z.coerce.number().int().min(1);
const count = z.coerce.number().int().min(1);
const trueOrFalse = z.union([z.boolean(), z.stringbool()], { error: 'must be true or false' });
const url = (protocols: readonly string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')} URL`);
const list = <Item extends z.ZodType>(item: Item) =>
  z.preprocess((value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()) : value), z.array(item).min(1));

function setting<Schema extends z.ZodType>(
  variable: `TESSERA_${string}`,
  schema: Schema,
  defaultText: string,
  description: string,
): Setting<Schema> {
  return { variable, schema, defaultText, description };
}

/** Every setting Tessera reads. The README's settings table is generated from this list. */
export const settings = {
  profile: setting('TESSERA_PROFILE', z.enum(['embedded', 'services']).default('embedded'), 'embedded',
    '`embedded`: PGlite on disk and an in-process bus, zero setup. `services`: PostgreSQL + NATS JetStream (+ Redis).'),
  dataDirectory: setting('TESSERA_DATA_DIR', z.string().min(1).default('.data'), '.data',
    'Embedded profile: directory of the PGlite database; `:memory:` keeps it in memory.'),
  embeddedSharedBuffersMb: setting('TESSERA_EMBEDDED_SHARED_BUFFERS_MB', count.max(4_096).default(16), '16',
    'Embedded profile: PostgreSQL shared buffers of the PGlite database, in MB; they live in the process\'s own memory.'),
  embeddedOptimizeWasm: setting('TESSERA_EMBEDDED_OPTIMIZE_WASM', z.enum(['true', 'false']).default('false').transform((value) => value === 'true'), 'false',
    'Embedded profile: `true` lets V8 also compile PostgreSQL\'s hot WebAssembly functions with its optimizing compiler: about 10 % more throughput for about 80 MB more memory.'),
  eventStore: setting('TESSERA_EVENT_STORE', z.enum(['pglite', 'postgres', 'kurrentdb']).optional(), 'by profile',
    'Event store adapter; defaults to `pglite` (embedded) or `postgres` (services).'),
  databaseUrl: setting('TESSERA_DATABASE_URL', url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/tessera'),
    'postgres://postgres@127.0.0.1:5432/tessera', 'Services profile: PostgreSQL for the event log and the read models.'),
  databasePoolSize: setting('TESSERA_DATABASE_POOL_SIZE', count.max(500).default(10), '10',
    'Connections per pool (event store and read models each have one).'),
  databasePreparedStatements: setting('TESSERA_DATABASE_PREPARED_STATEMENTS', z.enum(['true', 'false']).default('true').transform((value) => value === 'true'), 'true',
    'The event store sends its statements as named prepared statements: parsed once per connection, and on PGlite one trip into the database per statement instead of six. In the embedded profile the read models\' statements go in one trip each too (planned per call). `false` behind a pooler that does not carry them across server connections (PgBouncer in transaction mode without `max_prepared_statements`, which is 0 by default before 1.24).'),
  redisUrl: setting('TESSERA_REDIS_URL', url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379',
    'Services profile: Redis for the exact-match cache and for rate limits shared by every API process.'),
  kurrentDbUrl: setting('TESSERA_KURRENTDB_URL', z.string().startsWith('kurrentdb').optional(), '—',
    'KurrentDB connection string, required when `TESSERA_EVENT_STORE=kurrentdb`.'),
  natsUrl: setting('TESSERA_NATS_URL', list(url(['nats:', 'tls:'])).default(['nats://127.0.0.1:4222']),
    'nats://127.0.0.1:4222', 'Services profile: NATS servers, comma-separated.'),
  natsStream: setting('TESSERA_NATS_STREAM', z.string().regex(/^[A-Za-z0-9_-]+$/).default('TESSERA_EVENTS'), 'TESSERA_EVENTS',
    'JetStream stream that carries events; `<name>_DELTAS` and `<name>_DEAD_LETTERS` go beside it.'),
  natsSubjectPrefix: setting('TESSERA_NATS_SUBJECT_PREFIX', z.string().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/).default('tessera.events'),
    'tessera.events', 'Events are published as `<prefix>.<stream category>.<event type>`; give each deployment sharing a NATS its own.'),
  natsDuplicateWindowMs: setting('TESSERA_NATS_DUPLICATE_WINDOW_MS', milliseconds.default(120_000), '120000',
    'How long JetStream remembers message ids to drop re-published events.'),
  natsMaxAgeMs: setting('TESSERA_NATS_MAX_AGE_MS', milliseconds.default(7 * 24 * 3_600_000), '604800000',
    'How long the events stream keeps messages (the log itself keeps everything).'),
  subscriptionPollMs: setting('TESSERA_SUBSCRIPTION_POLL_MS', milliseconds.default(1_000), '1000',
    'Safety-net poll of the log for subscribers; commits wake them through LISTEN/NOTIFY (see TESSERA_SUBSCRIPTION_ANNOUNCE_MS).'),
  subscriptionAnnounceMs: setting('TESSERA_SUBSCRIPTION_ANNOUNCE_MS', z.coerce.number().int().min(0).max(1_000).default(5), '5',
    'Commits are announced to subscribers (NOTIFY; in-process with PGlite) this long after the first one not yet announced, together: one NOTIFY and one read of the log\'s tail per interval rather than per commit. Subscribers in other processes see new events this much later; followers of a turn in the process that appended see them at once. 0: each commit at once.'),
  subscriptionQuietAnnounceMs: setting('TESSERA_SUBSCRIPTION_QUIET_ANNOUNCE_MS', z.coerce.number().int().min(0).max(10_000).default(50), '50',
    'The commit that ends a turn its API process drove (an OpenAI-compatible completion, a REST turn without tools), and a budget hold or settlement, which no other process waits on, are announced this long after, together with others (an announcement due sooner carries it): fewer NOTIFYs and tail reads. Other processes\' views see such a turn this much later; a prompt in the same process waiting for its conversation\'s view has it announced at once.'),
  projectionBatchSize: setting('TESSERA_PROJECTION_BATCH_SIZE', count.max(10_000).default(500), '500',
    'Most events a projection applies in one transaction.'),
  projectionLingerMs: setting('TESSERA_PROJECTION_LINGER_MS', z.coerce.number().int().min(0).max(10_000).default(20), '20',
    'A projection batch gathers events for up to this long after its first (a full batch goes at once), so one transaction applies many turns and views trail the log by about this much. Where the projections run in a prompt\'s process, the prompt waits for its conversation\'s turn ends that process appended or read. 0: apply what was read at once.'),
  forwarderBatchSize: setting('TESSERA_FORWARDER_BATCH_SIZE', count.max(10_000).default(256), '256',
    'Most events the forwarder publishes before it waits for acknowledgements.'),
  forwardEvents: setting('TESSERA_FORWARD_EVENTS', z.enum(['consumed', 'all']).default('consumed'), 'consumed',
    'Which events the forwarder puts on NATS: `consumed`, the types a pipeline handler consumes; `all`, every event (for consumers outside Tessera).'),
  gatewayConfigFile: setting('TESSERA_GATEWAY_CONFIG_FILE', z.string().min(1).optional(), '—',
    'JSON file of model aliases → ordered deployments (provider, base URL, model, context window, prices, timeouts), task routes and strategies; every field is shown in the README, under “The model gateway”. Takes precedence over `TESSERA_MODEL_*`.'),
  modelBaseUrl: setting('TESSERA_MODEL_BASE_URL', url(['http:', 'https:']).optional(), '—',
    'OpenAI-compatible API root (OpenAI, Azure, vLLM, Ollama, llama.cpp…), served through the gateway as one deployment per alias (`default`, `default-embeddings`): retries, breaker, timeouts and the routing record as for a gateway file, but no prices (so no cost and no budget holds) and no fallback. Unset: the offline `local` provider answers.'),
  modelApiKey: setting('TESSERA_MODEL_API_KEY', z.string().min(1).default('not-needed'), 'not-needed', 'API key sent to that provider.'),
  modelDeveloperRole: setting('TESSERA_MODEL_DEVELOPER_ROLE', z.enum(['developer', 'system']).default('developer'), 'developer',
    'How that provider is sent developer instructions: `system` for servers whose chat templates lack the developer role (some vLLM, Ollama and llama.cpp models). In a gateway file, per deployment.'),
  modelOutputTokensField: setting('TESSERA_MODEL_OUTPUT_TOKENS_FIELD', z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'), 'max_tokens',
    'The output cap sent to that provider: `max_completion_tokens` for OpenAI reasoning models, which refuse `max_tokens`. In a gateway file, per deployment.'),
  chatModel: setting('TESSERA_CHAT_MODEL', z.string().min(1).default('gpt-4o-mini'), 'gpt-4o-mini',
    'Model behind the `chat/default` alias when a provider URL is set.'),
  embeddingModel: setting('TESSERA_EMBEDDING_MODEL', z.string().min(1).default('text-embedding-3-small'), 'text-embedding-3-small',
    'Model behind `embed/default` when a provider URL is set.'),
  embeddingDimensions: setting('TESSERA_EMBEDDING_DIMENSIONS', count.max(8_192).default(256), '256',
    'Vector size of `embed/default` (the local provider hashes into this many buckets).'),
  embeddingRequestDimensions: setting('TESSERA_EMBEDDING_REQUEST_DIMENSIONS', trueOrFalse.default(false), 'false',
    'Ask that provider to shorten its vectors to `TESSERA_EMBEDDING_DIMENSIONS` (OpenAI `text-embedding-3-*`, whose own sizes are 1536 and 3072); other servers refuse the parameter. In a gateway file, `requestDimensions` per deployment.'),
  modelTimeoutMs: setting('TESSERA_MODEL_TIMEOUT_MS', milliseconds.default(60_000), '60000',
    'Longest silence from a model before the call fails (before the first token, between chunks).'),
  modelContextWindow: setting('TESSERA_MODEL_CONTEXT_WINDOW', count.max(10_000_000).default(128_000), '128000',
    'Tokens the `TESSERA_CHAT_MODEL` takes, prompt and answer together; a prompt that cannot fit is refused before the call. In a gateway file, `contextWindow` per deployment.'),
  embeddingContextWindow: setting('TESSERA_EMBEDDING_CONTEXT_WINDOW', count.max(10_000_000).default(8_191), '8191',
    'Tokens one input to `TESSERA_EMBEDDING_MODEL` may hold; a longer one is refused before the call.'),
  turnMaxModelSteps: setting('TESSERA_TURN_MAX_MODEL_STEPS', count.max(100).default(8), '8', 'Model calls one turn may make (tool loops, repairs).'),
  turnMaxToolCalls: setting('TESSERA_TURN_MAX_TOOL_CALLS', z.coerce.number().int().min(0).max(1_000).default(16), '16', 'Tool calls one turn may make.'),
  turnMaxOutputTokens: setting('TESSERA_TURN_MAX_OUTPUT_TOKENS', count.max(1_000_000).default(4_096), '4096', 'Output cap of a model call whose request names none; a cap the request names (`maxOutputTokens`, `max_tokens`) is used as given, up to the deployment\'s `maxOutputTokens`.'),
  turnDeadlineMs: setting('TESSERA_TURN_DEADLINE_MS', milliseconds.default(300_000), '300000', 'A turn not finished this long after it was requested ends in TurnFailed (deadline-exceeded).'),
  turnDriveInline: setting('TESSERA_TURN_DRIVE_INLINE', z.enum(['true', 'false']).default('true').transform((value) => value === 'true'), 'true',
    'The API process carries each turn it accepts through its steps itself, without a bus hop between them; the pipeline workers take over what it leaves (tools, approvals, a crash). `false`: every step goes through the bus.'),
  turnDriveMaxInFlight: setting('TESSERA_TURN_DRIVE_MAX_IN_FLIGHT', count.max(100_000).default(256), '256',
    'Turns an API process drives inline at once. Each holds its model call and state in memory until it ends; past this, a turn is recorded and the pipeline workers take it at their own pace.'),
  modelCallLeaseMs: setting('TESSERA_MODEL_CALL_LEASE_MS', milliseconds.max(86_400_000).default(150_000), '150000',
    'A started model call belongs to the process that started it this long: a call (chat or embeddings, retries and fallbacks included) still running then ends in a timeout, its partial output recorded, so no budget hold outlives its call. A tenth of it later (at least 1 s) a pipeline worker calls again, the starter presumed dead. Keep it above the longest call you expect.'),
  handlerConcurrency: setting('TESSERA_HANDLER_CONCURRENCY', count.max(1_000).default(16), '16',
    'Messages each pipeline handler works on at once, per process.'),
  handlerMaxDeliveries: setting('TESSERA_HANDLER_MAX_DELIVERIES', count.max(100).default(5), '5',
    'Deliveries of a failing message before it goes to the dead-letter queue.'),
  handlerBackoffMs: setting('TESSERA_HANDLER_BACKOFF_MS', list(milliseconds).default([500, 2_000, 10_000, 30_000]), '500,2000,10000,30000',
    'Delays before redelivering a failed message; the last repeats.'),
  handlerAckWaitMs: setting('TESSERA_HANDLER_ACK_WAIT_MS', milliseconds.default(300_000), '300000',
    'A handler that has not finished a message in this time loses it to a redelivery.'),
  httpHost: setting('TESSERA_HTTP_HOST', z.string().min(1).default('127.0.0.1'), '127.0.0.1', 'Address the API listens on.'),
  httpPort: setting('TESSERA_HTTP_PORT', z.coerce.number().int().min(0).max(65_535).default(8080), '8080', 'Port the API listens on (0 picks a free one).'),
  httpBodyLimitBytes: setting('TESSERA_HTTP_BODY_LIMIT_BYTES', count.max(100 * 1024 * 1024).default(1_048_576), '1048576',
    'Largest request body; larger ones get 413 problem+json.'),
  httpRequestTimeoutMs: setting('TESSERA_HTTP_REQUEST_TIMEOUT_MS', milliseconds.default(120_000), '120000',
    'Longest a non-streaming request may take end to end: receiving it, and (1 s later, past the routes\' own deadlines) handling it, answered 504 TESSERA_REQUEST_TIMEOUT. Streams are not bounded by it.'),
  httpShutdownGraceMs: setting('TESSERA_HTTP_SHUTDOWN_GRACE_MS', milliseconds.default(10_000), '10000',
    'On SIGTERM, how long open streams may finish before they are ended (clients resume with Last-Event-ID) and turns the API process drives itself may finish before it closes, both within this one period; a turn still running then is taken over by a pipeline worker once its model call\'s lease ends.'),
  heapGrowthPercent: setting('TESSERA_HEAP_GROWTH_PERCENT', z.coerce.number().int().min(0).max(300).optional(), '50 embedded, 100 services',
    'Long-running commands (`all`, `serve`, `worker`, live `project`): how far, in %, V8 lets the old generation grow past what survived its last full collection before the next one. 0: V8\'s own factor, up to four times. A burst of requests leaves garbage that idle streams and turns never allocate enough to collect; less growth keeps memory near what is live, for some throughput at full load (see Benchmarks).'),
  logLevel: setting('TESSERA_LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    'info', 'Log level (pino).'),
  redisKeyPrefix: setting('TESSERA_REDIS_KEY_PREFIX', z.string().min(1).max(100).default('tessera:'), 'tessera:',
    'Prefix of every Redis key Tessera writes (rate-limit counters, cached responses and vectors); give each deployment sharing a Redis its own.'),
  rateLimitKeyRequestsPerMinute: setting('TESSERA_RATE_LIMIT_KEY_REQUESTS_PER_MINUTE', z.coerce.number().int().min(0).default(0), '0',
    'Requests one API key may make per minute, counted across every API process (Redis in the services profile); 0: no limit.'),
  rateLimitTenantRequestsPerMinute: setting('TESSERA_RATE_LIMIT_TENANT_REQUESTS_PER_MINUTE', z.coerce.number().int().min(0).default(0), '0',
    'Requests all keys of one tenant may make per minute; 0: no limit.'),
  rateLimitKeyTokensPerMinute: setting('TESSERA_RATE_LIMIT_KEY_TOKENS_PER_MINUTE', z.coerce.number().int().min(0).default(0), '0',
    'Model tokens one API key may ask for per minute (prompt tokens + the output tokens asked for, or the input tokens of an embedding request, estimated before the call); 0: no limit.'),
  rateLimitTenantTokensPerMinute: setting('TESSERA_RATE_LIMIT_TENANT_TOKENS_PER_MINUTE', z.coerce.number().int().min(0).default(0), '0',
    'Model tokens all keys of one tenant may ask for per minute; 0: no limit.'),
  rateLimitCountAhead: setting('TESSERA_RATE_LIMIT_COUNT_AHEAD', z.coerce.number().int().min(0).max(64).default(7), '7',
    'Services profile: each trip to the shared Redis counters also counts this many more calls\' worth (requests, and the call\'s tokens each), which the API process then admits without asking; none unless 16 times as much room stays in the limit, so near a limit every call is counted as it comes. All processes together never pass a limit; what a process counted ahead and did not use is lost with the minute. 0: every call asks Redis.'),
  budgetSettleLingerMs: setting('TESSERA_BUDGET_SETTLE_LINGER_MS', z.coerce.number().int().min(0).max(10_000).default(50), '50',
    'A budget settlement (a call\'s real cost, freeing the rest of its hold) waits up to this long to leave in the same append as the window\'s next hold, so steady traffic appends once per call instead of twice. Until then the window counts the call at its worst case: stricter, never looser. Written at once on shutdown and before a read of the budgets in this process. 0: each settlement at once.'),
  budgetHoldsAhead: setting('TESSERA_BUDGET_HOLDS_AHEAD', z.coerce.number().int().min(0).max(64).default(8), '8',
    'Budget holds each process keeps ready per tenant and key, taken in one append ahead of the calls they serve (each as large as the largest worst case seen, rounded up to a power of two), so a call far from its limits waits for no append before it goes out. None is taken unless 16 times as much room stays free, so near a limit each call holds its own worst case. Holds no call has taken for 5 s are released, and all unused ones on shutdown; a process that dies leaves them until they expire (`TESSERA_BUDGET_HOLD_LIFETIME_MS`). They count in the budgets\' reserved amount. 0: each call appends its own hold.'),
  budgetHoldLifetimeMs: setting('TESSERA_BUDGET_HOLD_LIFETIME_MS', milliseconds.default(600_000), '600000',
    'A budget hold not settled this long after it was taken stops counting against its budget, so the holds of a process that died (its calls\' and those it took ahead) free their room; a settlement that comes later still counts what was spent. At least twice `TESSERA_MODEL_CALL_LEASE_MS`, the longest a call runs: a hold taken ahead is handed to a call only while that much of its lifetime is left.'),
  cacheEnabled: setting('TESSERA_CACHE_ENABLED', trueOrFalse.default(true), 'true',
    'Answer repeated deterministic model calls (temperature 0 or a seed) from the exact-match cache, and embeddings inputs already embedded from the vector cache: Redis in the services profile, in-process otherwise.'),
  cacheTtlMs: setting('TESSERA_CACHE_TTL_MS', milliseconds.default(3_600_000), '3600000', 'How long a cached model response or vector is served.'),
  cacheMaxEntries: setting('TESSERA_CACHE_MAX_ENTRIES', count.max(10_000_000).default(10_000), '10000',
    'Embedded profile: most entries each in-process cache (responses, vectors) holds (least recently used go first).'),
  cacheMaxBytes: setting('TESSERA_CACHE_MAX_BYTES', count.default(64 * 1024 * 1024), '67108864',
    'Embedded profile: most bytes of JSON each in-process cache (responses, vectors) holds; in the services profile, bound Redis with its own `maxmemory` and an LRU policy.'),
  metricsEnabled: setting('TESSERA_METRICS_ENABLED', trueOrFalse.default(true), 'true',
    'Serve `GET /metrics` (Prometheus text format, no API key): circuit breaker states and transitions, attempts and retries per model deployment.'),
} satisfies Record<string, Setting>;

export type Settings = typeof settings;
export type Config = { [Key in keyof Settings]: z.output<Settings[Key]['schema']> };
