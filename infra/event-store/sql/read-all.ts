import { positionParts, START_POSITION, toGlobalPosition, type GlobalPosition } from '../../../domain/events/global-position.js';
import type { ReadAllOptions, ReadAllResult } from '../port.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-row.js';
import type { SqlExecutor } from './sql-executor.js';

const DEFAULT_BATCH = 1_000;

/**
 * Parameters: the cursor's commit and prepare parts, and the batch size. The check for
 * commits held back walks the log's order index from its newest end, whatever the
 * statistics say: asked as "any event past the horizon", it was planned as a scan of the
 * whole log on a table not analyzed yet, on every commit. The newest event is past the
 * horizon and the cursor exactly when any such event is.
 */
export const READ_ALL_STATEMENT = `select batch.*, horizon.blocked
       from (select snapshot.xmin,
                    coalesce(newest.transaction_id >= snapshot.xmin
                             and (newest.transaction_id, newest.global_position) > ($1::text::xid8, $2::bigint), false) as blocked
               from (select pg_snapshot_xmin(pg_current_snapshot()) as xmin) snapshot
               left join lateral (select transaction_id, global_position from tessera_events
                                   order by transaction_id desc, global_position desc limit 1) newest on true) horizon
       left join lateral (
            select ${EVENT_COLUMNS}, e.transaction_id as sort_commit, e.global_position as sort_prepare
              from tessera_events e
             where (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)
               and e.transaction_id < horizon.xmin
             order by e.transaction_id, e.global_position
             limit $3) batch on true
      order by batch.sort_commit, batch.sort_prepare`;

/**
 * Events below the oldest running transaction id are final: nothing can commit
 * before them any more. Reading only those keeps the order gap-free.
 */
export async function readAll(executor: SqlExecutor, options: ReadAllOptions): Promise<ReadAllResult & { blocked: boolean }> {
  const limit = options.maxCount ?? DEFAULT_BATCH;
  const { commit, prepare } = positionParts(options.after);
  // One statement, one snapshot: the batch and whether committed events wait behind
  // an open transaction, so a subscriber knows to look again soon rather than sleep.
  const rows = await executor.query<Partial<EventRow> & { blocked: boolean }>(READ_ALL_STATEMENT, [commit.toString(), prepare.toString(), limit]);
  const events = rows.filter((row): row is EventRow & { blocked: boolean } => row.id != null).map(toRecordedEvent);
  return {
    events,
    lastPosition: events.at(-1)?.position ?? options.after,
    isEnd: events.length < limit,
    blocked: rows[0]?.blocked ?? false,
  };
}

/** The last event a reader may take now: below the oldest running transaction. */
export async function headPosition(executor: SqlExecutor): Promise<GlobalPosition> {
  const [row] = await executor.query<{ commit_text: string; prepare_text: string }>(
    `select e.transaction_id::text as commit_text, e.global_position::text as prepare_text from tessera_events e
      where e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      order by e.transaction_id desc, e.global_position desc
      limit 1`,
  );
  return row ? toGlobalPosition(row.commit_text, row.prepare_text) : START_POSITION;
}
