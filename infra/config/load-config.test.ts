import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, settingsTable } from './load-config.js';
import { settings } from './settings.js';

function problemsOf(environment: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs the embedded profile with no configuration at all', () => {
    const config = loadConfig({});
    expect(config.profile).toBe('embedded');
    expect(config.dataDirectory).toBe('.data');
    expect(config.natsUrl).toEqual(['nats://127.0.0.1:4222']);
  });

  it('reads and converts environment variables', () => {
    const config = loadConfig({
      TESSERA_PROFILE: 'services',
      TESSERA_DATABASE_POOL_SIZE: '32',
      TESSERA_NATS_URL: 'nats://a:4222, nats://b:4222',
    });
    expect(config).toMatchObject({
      profile: 'services',
      databasePoolSize: 32,
      natsUrl: ['nats://a:4222', 'nats://b:4222'],
    });
  });

  it('takes a blank or null value for unset, not for 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ TESSERA_RATE_LIMIT_TENANT_REQUESTS_PER_MINUTE: null }));
    const config = loadConfig({ TESSERA_CONFIG_FILE: file, TESSERA_HEAP_GROWTH_PERCENT: ' ', TESSERA_RATE_LIMIT_KEY_REQUESTS_PER_MINUTE: '' });
    expect(config.heapGrowthPercent).toBeUndefined();
    expect(config.rateLimitKeyRequestsPerMinute).toBe(0);
    expect(config.rateLimitTenantRequestsPerMinute).toBe(0);
    expect(loadConfig({ TESSERA_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ TESSERA_PROFILE: 'cloud', TESSERA_DATABASE_POOL_SIZE: '-3', TESSERA_NATS_URL: 'http://x' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^TESSERA_PROFILE: /);
    expect(problems.join('\n')).toMatch(/TESSERA_DATABASE_POOL_SIZE: .*-3/);
    expect(problems.join('\n')).toMatch(/TESSERA_NATS_URL: must be a nats: or tls: URL/);
  });

  it('refuses a misspelt variable instead of ignoring it', () => {
    expect(problemsOf({ TESSERA_PROFLE: 'services' })).toEqual(['TESSERA_PROFLE: unknown setting']);
  });

  it('needs a KurrentDB URL when KurrentDB is the event store', () => {
    expect(problemsOf({ TESSERA_EVENT_STORE: 'kurrentdb' })).toEqual([
      'TESSERA_KURRENTDB_URL: required when TESSERA_EVENT_STORE=kurrentdb',
    ]);
  });

  it('keeps budget holds alive at least twice as long as a model call may run', () => {
    expect(problemsOf({ TESSERA_BUDGET_HOLD_LIFETIME_MS: '299999' })).toEqual([
      'TESSERA_BUDGET_HOLD_LIFETIME_MS: must be at least twice TESSERA_MODEL_CALL_LEASE_MS, so no hold expires while its call may still be running',
    ]);
    expect(loadConfig({ TESSERA_BUDGET_HOLD_LIFETIME_MS: '300000' }).budgetHoldLifetimeMs).toBe(300_000);
    // A redelivery while the call runs would come from this very process, which may take its own call up again.
    expect(problemsOf({ TESSERA_HANDLER_ACK_WAIT_MS: '165000' })[0]).toMatch(/^TESSERA_HANDLER_ACK_WAIT_MS: must exceed TESSERA_MODEL_CALL_LEASE_MS/);
    expect(loadConfig({ TESSERA_HANDLER_ACK_WAIT_MS: '165001' }).handlerAckWaitMs).toBe(165_001);
    expect(problemsOf({ TESSERA_MODEL_CALL_LEASE_MS: String(2 ** 31) })[0]).toMatch(/^TESSERA_MODEL_CALL_LEASE_MS/);
    expect(problemsOf({ TESSERA_BUDGET_HOLD_LIFETIME_MS: '120000', TESSERA_MODEL_CALL_LEASE_MS: '60000' })).toEqual([]);
  });

  it('takes values from the config file, with the environment winning', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-config-')), 'tessera.json');
    writeFileSync(file, JSON.stringify({ TESSERA_PROFILE: 'services', TESSERA_LOG_LEVEL: 'debug' }));
    const config = loadConfig({ TESSERA_CONFIG_FILE: file, TESSERA_LOG_LEVEL: 'warn' });
    expect(config.profile).toBe('services');
    expect(config.logLevel).toBe('warn');
    writeFileSync(file, '[1]');
    expect(problemsOf({ TESSERA_CONFIG_FILE: file })[0]).toMatch(/^TESSERA_CONFIG_FILE: /);
  });
});

describe('settings documentation', () => {
  it('lists every setting in the README table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const setting of Object.values(settings)) expect(readme).toContain(`\`${setting.variable}\``);
    expect(readme).toContain(settingsTable());
  });
});
