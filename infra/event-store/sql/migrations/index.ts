import type { Migration } from 'kysely/migration';
import * as createEventLog from './2026-11-23-0001-create-event-log.js';
import * as appendToStreams from './2026-11-24-0001-append-to-streams.js';

export const eventLogMigrations: Record<string, Migration> = {
  '2026-11-23-0001-create-event-log': createEventLog,
  '2026-11-24-0001-append-to-streams': appendToStreams,
};
