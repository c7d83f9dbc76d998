import { protocol, type PGlite } from '@electric-sql/pglite';
import {
  PGliteAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { createPgliteStatements, type PgliteStatements } from './pglite-statements.js';

/**
 * Read models query with few distinct texts, but a projection's multi-row writes make
 * one text per batch size: room for the parameter types of every size a busy batch reaches.
 */
const READ_MODEL_STATEMENTS = 512;

/**
 * kysely's PGlite dialect, with each statement sent in one trip into the database (see
 * `PgliteStatements`, planned per call) instead of through `PGlite.query`.
 * Transactions hold PGlite's transaction lock from BEGIN to COMMIT, as
 * `PGlite.transaction` does, so no other caller's statement runs inside one.
 */
export class OneTripPgliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}

  createAdapter() {
    return new PGliteAdapter();
  }

  createDriver(): Driver {
    return new OneTripPgliteDriver(this.pglite);
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class OneTripPgliteDriver implements Driver {
  private readonly connection: OneTripPgliteConnection;

  constructor(private readonly pglite: PGlite) {
    this.connection = new OneTripPgliteConnection(pglite, createPgliteStatements(pglite, { capacity: READ_MODEL_STATEMENTS, plans: 'per-call' }));
  }

  async init(): Promise<void> {
    if (this.pglite.closed) throw new Error('PGlite instance is already closed.');
    await this.pglite.waitReady;
  }

  // kysely hands out this one connection to one user at a time (the adapter says PGlite has no other).
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }

  async beginTransaction(_connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let begin = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      begin = ['start transaction', settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean).join(' ');
    }
    await this.connection.begin(begin);
  }

  async commitTransaction(): Promise<void> {
    await this.connection.end('commit');
  }

  async rollbackTransaction(): Promise<void> {
    await this.connection.end('rollback');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

interface OpenTransaction {
  finish: (statement: 'commit' | 'rollback') => void;
  /** Settles once COMMIT or ROLLBACK has run and the lock is released; rejects with what failed. */
  closed: Promise<void>;
}

class OneTripPgliteConnection implements DatabaseConnection {
  private transaction: OpenTransaction | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly statements: PgliteStatements,
  ) {}

  async executeQuery<Row>(compiled: CompiledQuery): Promise<QueryResult<Row>> {
    const result = this.transaction
      ? await this.pglite.runExclusive(() => this.statements.run<Row>(compiled.sql, compiled.parameters))
      : await this.statements.runAlone<Row>(compiled.sql, compiled.parameters);
    return { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) };
  }

  // eslint-disable-next-line require-yield -- the interface asks for a generator; PGlite streams nothing.
  async *streamQuery<Row>(): AsyncIterableIterator<QueryResult<Row>> {
    throw new Error('PGlite does not stream query results');
  }

  async begin(statement: string): Promise<void> {
    await this.pglite._checkReady();
    let began!: () => void;
    const beginning = new Promise<void>((resolve) => (began = resolve));
    let finish!: (statement: 'commit' | 'rollback') => void;
    const finishing = new Promise<'commit' | 'rollback'>((resolve) => (finish = resolve));
    const closed = this.pglite._runExclusiveTransaction(async () => {
      await this.simpleQuery(statement);
      began();
      await this.simpleQuery(await finishing);
    });
    this.transaction = { finish, closed };
    try {
      await Promise.race([beginning, closed]);
    } catch (error) {
      this.transaction = undefined;
      throw error;
    }
  }

  async end(statement: 'commit' | 'rollback'): Promise<void> {
    const transaction = this.transaction;
    if (!transaction) return;
    this.transaction = undefined;
    transaction.finish(statement);
    await transaction.closed;
  }

  /** Transaction control as a simple query: it must run even when the transaction has failed, where a Parse would be refused. */
  private async simpleQuery(text: string): Promise<void> {
    await this.pglite.runExclusive(() => this.pglite.execProtocolStream(protocol.serialize.query(text)));
  }
}
