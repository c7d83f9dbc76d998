import type { Insertable, Selectable } from 'kysely';

/** One row per stream: what an operator console lists and filters. */
export interface StreamCatalogTable {
  stream_id: string;
  category: string;
  tenant_id: string;
  event_count: string;
  last_revision: string;
  last_event_type: string;
  first_event_at: Date;
  last_event_at: Date;
}

export type StreamCatalogRow = Selectable<StreamCatalogTable>;
export type NewStreamCatalogRow = Insertable<StreamCatalogTable>;
