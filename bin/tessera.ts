import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { publishPromptVersion, type PromptDraft } from '../commands/prompts.js';
import type { Logger } from 'pino';
import { DomainError } from '../domain/shared/domain-error.js';
import { ConfigError, loadConfig, settingsTable } from '../infra/config/load-config.js';
import type { Config } from '../infra/config/settings.js';
import { listProjections } from './commands/list-projections.js';
import { rebuildProjectionCommand } from './commands/rebuild-projection.js';
import { UsageError } from './commands/usage-error.js';
import { replay } from './commands/replay.js';
import { runProjections } from './commands/run-projections.js';
import { runWorkers } from './commands/run-workers.js';
import { serve } from './commands/serve.js';
import { budgetCommand } from './commands/budget-commands.js';
import { bootstrapDefaultTenant, tenantCommand } from './commands/tenant-commands.js';
import { limitHeapGrowth } from './composition/heap-growth.js';
import { createLogger } from './composition/logger.js';
import { openBackend, type Backend } from './composition/open-backend.js';

const USAGE = `usage: tessera <command>

  all                       one process: API, projections, forwarder and pipeline workers
  serve                     the HTTP API
  worker                    forwarder (one leader per database) and pipeline workers
  project                   run every projection live
  project list              projections and their checkpoints
  project rebuild <name>    rebuild one projection from position 0
  replay [--after P] [--category C] [--type T]... [--tenant T] [--limit N]
                            the log as JSON lines on stdout
  tenant create --name N [--tenant ID]
                            create a tenant; prints its id
  key issue --tenant ID [--name N] [--scope S]... [--expires ISO]
                            issue an API key; prints it once
  key revoke --tenant ID --key KEY_ID [--reason R]
  budget set --tenant ID [--key KEY_ID] --period daily|monthly --limit MICROS [--enforcement hard|soft]
                            set or replace a budget (hard refuses calls that do not fit, soft only records)
  budget list --tenant ID   the tenant's budgets as JSON lines
  prompt publish --file F   publish the next version of a prompt (JSON: name, system, developer?,
                            outputFormat?, historyTokenBudget?, temperature?, maxOutputTokens?)
  settings                  the settings table (markdown)

Configuration comes from TESSERA_* environment variables (see the README).`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      after: { type: 'string' },
      category: { type: 'string' },
      type: { type: 'string', multiple: true },
      tenant: { type: 'string' },
      limit: { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      scope: { type: 'string', multiple: true },
      expires: { type: 'string' },
      reason: { type: 'string' },
      file: { type: 'string' },
      period: { type: 'string' },
      enforcement: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, subcommand, argument] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'settings') {
    process.stdout.write(`${settingsTable()}\n`);
    return 0;
  }
  const config = loadConfig(process.env);
  // Only what keeps running: a one-shot rebuild or replay allocates fast and exits, where V8's own factor suits it.
  if (['all', 'serve', 'worker'].includes(command) || (command === 'project' && !subcommand)) limitHeapGrowth(config);
  const logger = createLogger(config);
  const backend = await openBackend(config, logger);
  try {
    switch (command) {
      case 'all':
        return await runUntilSignal(backend, config, logger, ['api', 'projections', 'workers']);
      case 'serve':
        return await runUntilSignal(backend, config, logger, ['api']);
      case 'prompt': {
        if (subcommand !== 'publish' || !values.file) throw new UsageError('usage: tessera prompt publish --file prompt.json');
        const draft = JSON.parse(readFileSync(values.file, 'utf8')) as PromptDraft;
        const version = await publishPromptVersion(backend.store, draft, 'operator:cli');
        process.stdout.write(`published ${draft.name} version ${version}\n`);
        return 0;
      }
      case 'tenant':
      case 'key':
        await tenantCommand(backend, `${command}-${subcommand ?? ''}`, values);
        return 0;
      case 'budget':
        await budgetCommand(backend.store, subcommand, values);
        return 0;
      case 'worker':
        return await runUntilSignal(backend, config, logger, ['workers']);
      case 'project':
        if (subcommand === 'list') return (await listProjections(backend), 0);
        if (subcommand === 'rebuild') return (await rebuildProjectionCommand(backend, argument, config.projectionBatchSize * 4), 0);
        if (subcommand) throw new UsageError(`unknown project subcommand "${subcommand}"`);
        return await runUntilSignal(backend, config, logger, ['projections']);
      case 'replay': {
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a positive integer');
        const written = await replay(backend.store, { ...values, types: values.type, limit });
        process.stderr.write(`replay: ${written} events written\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    await backend.close();
  }
}

type Part = 'api' | 'projections' | 'workers';

async function runUntilSignal(backend: Backend, config: Config, logger: Logger, parts: Part[]): Promise<number> {
  const controller = new AbortController();
  const stops: (() => Promise<void>)[] = [];
  if (parts.includes('api') && config.profile === 'embedded') {
    const key = await bootstrapDefaultTenant(backend);
    if (key) process.stderr.write(`\nCreated tenant "default". Its API key, shown this once:\n\n  ${key}\n\n`);
  }
  const stopProjections = parts.includes('projections') ? runProjections(backend, config, logger) : undefined;
  if (parts.includes('workers')) stops.push(await runWorkers(backend, config, logger, controller.signal));
  // The API stops first so no new work arrives while workers finish theirs; the projections
  // last, since a prompt built meanwhile waits for its conversation's view.
  if (parts.includes('api')) stops.unshift((await serve(backend, config, logger)).stop);
  if (stopProjections) stops.push(stopProjections);
  logger.info({ profile: config.profile, parts }, 'tessera running; Ctrl-C stops');
  await new Promise<void>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => resolve());
  });
  logger.info('stopping: finishing in-flight work');
  controller.abort();
  for (const stop of stops) await stop();
  logger.info('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Node's argument parser refuses unknown or malformed flags (ERR_PARSE_ARGS_*): a usage error, said in a line.
    const parseArgsRefusal = error instanceof Error && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    if (error instanceof UsageError || error instanceof ConfigError || parseArgsRefusal) {
      process.stderr.write(`tessera: ${error.message}\n`);
      process.exit(2);
    }
    if (DomainError.isInstance(error)) {
      process.stderr.write(`tessera: ${error.code}: ${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`tessera: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
