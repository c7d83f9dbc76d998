import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stream_catalog')
    .addColumn('stream_id', 'text', (column) => column.primaryKey())
    .addColumn('category', 'text', (column) => column.notNull())
    .addColumn('tenant_id', 'text', (column) => column.notNull())
    .addColumn('event_count', 'bigint', (column) => column.notNull())
    .addColumn('last_revision', 'bigint', (column) => column.notNull())
    .addColumn('last_event_type', 'text', (column) => column.notNull())
    .addColumn('first_event_at', 'timestamptz', (column) => column.notNull())
    .addColumn('last_event_at', 'timestamptz', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('stream_catalog_tenant_category')
    .on('stream_catalog')
    .columns(['tenant_id', 'category', 'last_event_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stream_catalog').ifExists().execute();
}
