import { sql, type Kysely } from 'kysely';

/**
 * The event log. Global order is (transaction_id, global_position): a reader only
 * takes events whose transaction id is below the oldest transaction still running,
 * so an event that commits late can never land behind a reader's checkpoint.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table tessera_streams (
      stream_id text primary key,
      revision bigint not null
    )`.execute(db);

  await sql`
    create table tessera_events (
      global_position bigint generated always as identity,
      transaction_id xid8 not null default pg_current_xact_id(),
      event_id uuid primary key,
      stream_id text not null,
      stream_revision bigint not null,
      event_type text not null,
      data jsonb not null,
      metadata jsonb not null,
      occurred_at timestamptz not null,
      constraint tessera_events_stream_revision_key unique (stream_id, stream_revision)
    )`.execute(db);

  await sql`create index tessera_events_global_order on tessera_events (transaction_id, global_position)`.execute(db);

  // One round trip per append: optimistic concurrency on the stream row, insert.
  // Outcomes are returned, not raised, so the caller maps them to typed errors without
  // parsing messages. The previous-append lookup runs first only when asked (writes
  // with 'any', or a retry after a duplicate key): with an expected revision a repeat
  // is caught when the revision check fails. No NOTIFY here: it takes a server-wide
  // lock held until the commit is flushed, which serialises every writer; the client
  // notifies after the commit instead.
  await sql`
    create function tessera_append(p_stream_id text, p_expected bigint, p_events jsonb, p_check_first boolean)
    returns table (outcome text, next_revision bigint, commit_position text, prepare_position bigint, detail text)
    language plpgsql as $$
    declare
      v_count int := jsonb_array_length(p_events);
      v_revision bigint;
    begin
      -- Taken before the first write, so this transaction's id is assigned only once the
      -- stream is ours: a concurrent writer to the same new stream that lost the race for
      -- its row cannot hold a smaller id, and $all (ordered by transaction id) keeps every
      -- stream in revision order.
      perform pg_advisory_xact_lock(hashtextextended(p_stream_id, 0));
      if p_check_first then
        select * into outcome, next_revision, commit_position, prepare_position, detail
          from tessera_previous_append(p_stream_id, p_events);
        if outcome is not null then
          return next;
          return;
        end if;
      end if;

      if p_expected = -1 then
        insert into tessera_streams (stream_id, revision) values (p_stream_id, v_count - 1)
          on conflict (stream_id) do nothing
          returning revision into v_revision;
      elsif p_expected = -2 then
        insert into tessera_streams (stream_id, revision) values (p_stream_id, v_count - 1)
          on conflict (stream_id) do update set revision = tessera_streams.revision + v_count
          returning revision into v_revision;
      else
        update tessera_streams set revision = revision + v_count
          where stream_id = p_stream_id and revision = p_expected
          returning revision into v_revision;
      end if;

      if v_revision is null then
        -- A concurrent writer of the very same events waited on the same row lock.
        select * into outcome, next_revision, commit_position, prepare_position, detail
          from tessera_previous_append(p_stream_id, p_events);
        if outcome is null then
          outcome := 'conflict';
          next_revision := coalesce((select revision from tessera_streams where stream_id = p_stream_id), -1);
        end if;
        return next;
        return;
      end if;

      with inserted as (
        insert into tessera_events (event_id, stream_id, stream_revision, event_type, data, metadata, occurred_at)
          select (e.value->>'id')::uuid, p_stream_id, v_revision - v_count + e.ordinality, e.value->>'type',
                 e.value->'data', e.value->'metadata', (e.value->>'occurredAt')::timestamptz
            from jsonb_array_elements(p_events) with ordinality as e
          returning global_position
      )
      select max(global_position) into prepare_position from inserted;

      outcome := 'appended';
      next_revision := v_revision;
      commit_position := pg_current_xact_id()::text;
      return next;
    end $$`.execute(db);

  // 'duplicate' when every id is already stored with the same stream, type and data
  // as one earlier append; 'id_reused' when any id is stored with something else.
  // Planned on every call (the SET also keeps it from being inlined into the caller's
  // cached plan): a plan made while the log was empty would scan it whole forever after.
  await sql`
    create function tessera_previous_append(p_stream_id text, p_events jsonb)
    returns table (outcome text, next_revision bigint, commit_position text, prepare_position bigint, detail text)
    language sql stable
    set plan_cache_mode = force_custom_plan
    as $$
      with incoming as (
        select (value->>'id')::uuid as event_id, value->>'type' as event_type, value->'data' as data
          from jsonb_array_elements(p_events)
      ), matched as (
        select i.event_id,
               s.event_id is not null as stored,
               coalesce(s.stream_id = p_stream_id and s.event_type = i.event_type and s.data = i.data, false) as same,
               s.stream_revision, s.transaction_id, s.global_position
          from incoming i left join tessera_events s on s.event_id = i.event_id
      )
      select case when bool_and(stored and same) then 'duplicate' else 'id_reused' end,
             max(stream_revision),
             (array_agg(transaction_id::text order by stream_revision desc nulls last))[1],
             (array_agg(global_position order by stream_revision desc nulls last))[1],
             (array_agg(event_id::text) filter (where not (stored and same)))[1]
        from matched
      having bool_or(stored)
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists tessera_append(text, bigint, jsonb, boolean)`.execute(db);
  await sql`drop function if exists tessera_previous_append(text, jsonb)`.execute(db);
  await sql`drop table if exists tessera_events`.execute(db);
  await sql`drop table if exists tessera_streams`.execute(db);
}
