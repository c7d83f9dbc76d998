import { readFileSync } from 'node:fs';
import { DomainError } from '../../domain/shared/domain-error.js';
import { takeoverAfterMs } from '../../domain/turn/model-call-lease.js';
import { settings, type Config } from './settings.js';

export class ConfigError extends DomainError {
  constructor(readonly problems: readonly string[]) {
    super('TESSERA_INVALID_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`, problems[0]?.split(':')[0]);
  }
}

/**
 * Reads every setting from the environment, falling back to the JSON file named by
 * TESSERA_CONFIG_FILE (keys are the variable names), then to defaults. All problems
 * are reported at once, each naming its variable.
 */
export function loadConfig(environment: NodeJS.ProcessEnv): Config {
  const file = readConfigFile(environment.TESSERA_CONFIG_FILE);
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const raw = environment[setting.variable] ?? file[setting.variable];
    // Blank or null means unset: coerced, either would read as 0 where 0 has a meaning of its own.
    const unset = raw === null || (typeof raw === 'string' && raw.trim() === '');
    const result = setting.schema.safeParse(unset ? undefined : raw);
    if (result.success) config[key] = result.data;
    else problems.push(`${setting.variable}: ${result.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(raw)})`);
  }
  const known = new Set(Object.values(settings).map((setting) => setting.variable));
  for (const name of [...Object.keys(environment), ...Object.keys(file)]) {
    if (name.startsWith('TESSERA_') && name !== 'TESSERA_CONFIG_FILE' && !name.startsWith('TESSERA_TEST_') && !known.has(name as never)) {
      problems.push(`${name}: unknown setting`);
    }
  }
  if (problems.length === 0 && config.eventStore === 'kurrentdb' && !config.kurrentDbUrl) {
    problems.push('TESSERA_KURRENTDB_URL: required when TESSERA_EVENT_STORE=kurrentdb');
  }
  if (problems.length === 0 && (config.budgetHoldLifetimeMs as number) < 2 * (config.modelCallLeaseMs as number)) {
    problems.push('TESSERA_BUDGET_HOLD_LIFETIME_MS: must be at least twice TESSERA_MODEL_CALL_LEASE_MS, so no hold expires while its call may still be running');
  }
  if (problems.length === 0 && (config.handlerAckWaitMs as number) <= takeoverAfterMs(config.modelCallLeaseMs as number)) {
    problems.push('TESSERA_HANDLER_ACK_WAIT_MS: must exceed TESSERA_MODEL_CALL_LEASE_MS by a tenth (at least 1 s), or a message redelivered while its model call runs would make the call again');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`TESSERA_CONFIG_FILE: cannot read ${path}: ${(error as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`TESSERA_CONFIG_FILE: ${path} must hold a JSON object`]);
  }
  return parsed as Record<string, unknown>;
}

/** The README table of settings. */
export function settingsTable(): string {
  const rows = Object.values(settings).map(
    (setting) => `| \`${setting.variable}\` | ${setting.defaultText === '—' ? '—' : `\`${setting.defaultText}\``} | ${setting.description} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', '| `TESSERA_CONFIG_FILE` | — | Optional JSON file with any of these variables as keys; the environment wins. |', ...rows].join('\n');
}
