import { sql, type Kysely } from 'kysely';

/**
 * Appends to several streams in one transaction. Every stream's lock is taken, in a
 * fixed order, before the first write: the transaction's id (the first part of the
 * global order) is then assigned only once all its streams are ours, so each stream
 * stays in revision order in $all, and two multi-stream appends cannot deadlock.
 *
 * A stream whose check fails raises TS409 (conflict) or TS422 (an id reused), with the
 * outcome as JSON in the detail: the exception rolls back whatever the earlier streams
 * wrote, which a returned outcome would not.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function tessera_append_streams(p_appends jsonb, p_check_first boolean)
    returns table (stream_id text, outcome text, next_revision bigint, commit_position text, prepare_position bigint)
    language plpgsql as $$
    declare
      v_append jsonb;
      v_row record;
      v_lock bigint;
    begin
      -- Locks are keyed by the stream id's hash (as tessera_append takes them) and taken in the
      -- order of that key, one at a time, so two streams sharing a key cannot invert the order.
      for v_lock in select distinct hashtextextended(a->>'streamId', 0) from jsonb_array_elements(p_appends) a order by 1 loop
        perform pg_advisory_xact_lock(v_lock);
      end loop;
      for v_append in select value from jsonb_array_elements(p_appends) loop
        select * into v_row
          from tessera_append(v_append->>'streamId', (v_append->>'expected')::bigint, v_append->'events',
                              p_check_first or (v_append->>'expected')::bigint = -2);
        if v_row.outcome = 'conflict' or v_row.outcome = 'id_reused' then
          raise exception 'append to % refused: %', v_append->>'streamId', v_row.outcome
            using errcode = case when v_row.outcome = 'conflict' then 'TS409' else 'TS422' end,
                  detail = jsonb_build_object('streamId', v_append->>'streamId', 'nextRevision', v_row.next_revision, 'eventId', v_row.detail)::text;
        end if;
        stream_id := v_append->>'streamId';
        outcome := v_row.outcome;
        next_revision := v_row.next_revision;
        commit_position := v_row.commit_position;
        prepare_position := v_row.prepare_position;
        return next;
      end loop;
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists tessera_append_streams(jsonb, boolean)`.execute(db);
}
