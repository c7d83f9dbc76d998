import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('conversation_id', 'text', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull())
    .addColumn('user_id', 'text')
    .addColumn('title', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('turn_count', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('input_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('output_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('cost_micros', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (column) => column.notNull())
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('conversations_tenant').on('conversations').columns(['tenant_id', 'updated_at']).execute();
  await db.schema
    .createTable('conversation_messages')
    .addColumn('conversation_id', 'text', (column) => column.notNull())
    .addColumn('turn_id', 'text', (column) => column.notNull())
    .addColumn('part', 'integer', (column) => column.notNull())
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('content', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull())
    .addPrimaryKeyConstraint('conversation_messages_key', ['conversation_id', 'turn_id', 'part'])
    .execute();
  await db.schema
    .createTable('turns')
    .addColumn('turn_id', 'text', (column) => column.primaryKey())
    .addColumn('conversation_id', 'text', (column) => column.notNull())
    .addColumn('tenant_id', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('mode', 'text', (column) => column.notNull())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('model_calls', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('input_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('output_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('cost_micros', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('failure_reason', 'text')
    .addColumn('requested_at', 'timestamptz', (column) => column.notNull())
    .addColumn('deadline', 'timestamptz', (column) => column.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('timeline', 'jsonb', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('turns_conversation').on('turns').columns(['conversation_id', 'requested_at']).execute();
  await db.schema.createIndex('turns_deadline').on('turns').column('deadline').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('turns').ifExists().execute();
  await db.schema.dropTable('conversation_messages').ifExists().execute();
  await db.schema.dropTable('conversations').ifExists().execute();
}
