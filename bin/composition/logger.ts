import pino, { type Logger } from 'pino';
import type { Config } from '../../infra/config/settings.js';

/** Redaction is configured once here; every child logger inherits it. */
const REDACT_PATHS = ['*.authorization', '*.apiKey', '*.password', 'headers.authorization', 'config.kurrentDbUrl'];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(process.stderr.isTTY ? { transport: { target: 'pino-pretty', options: { destination: 2 } } } : {}),
  }, process.stderr.isTTY ? undefined : pino.destination(2));
}
