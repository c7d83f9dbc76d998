import type { Migration } from 'kysely/migration';
import * as createEventLog from './2026-11-23-0001-create-event-log.js';

export const eventLogMigrations: Record<string, Migration> = {
  '2026-11-23-0001-create-event-log': createEventLog,
};
