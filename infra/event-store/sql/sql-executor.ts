/**
 * The little the SQL event store needs from a driver, so PostgreSQL (`pg`) and PGlite
 * run the same statements.
 */
export interface SqlExecutor {
  /** Runs one parameterised statement and returns its rows. */
  query<Row>(text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Calls `onNotification` for each NOTIFY on `channel` (and after a lost listener reconnects); resolves to an unlisten function. */
  listen(channel: string, onNotification: () => void): Promise<() => Promise<void>>;
  /** Releases what the executor opened itself. */
  close(): Promise<void>;
}
