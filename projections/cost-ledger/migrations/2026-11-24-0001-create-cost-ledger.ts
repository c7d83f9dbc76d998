import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cost_ledger')
    .addColumn('tenant_id', 'text', (column) => column.notNull())
    .addColumn('day', 'date', (column) => column.notNull())
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('feature', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('deployment', 'text', (column) => column.notNull())
    .addColumn('calls', 'bigint', (column) => column.notNull())
    .addColumn('cached_calls', 'bigint', (column) => column.notNull())
    .addColumn('input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cached_input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('output_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cost_micros', 'bigint', (column) => column.notNull())
    // Tenant and day lead: every read is one tenant over a range of days.
    .addPrimaryKeyConstraint('cost_ledger_key', ['tenant_id', 'day', 'user_id', 'feature', 'model', 'deployment'])
    .execute();
  await db.schema
    .createTable('cost_ledger_turns')
    .addColumn('turn_id', 'text', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull())
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('feature', 'text', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('cost_ledger_turns').ifExists().execute();
  await db.schema.dropTable('cost_ledger').ifExists().execute();
}
