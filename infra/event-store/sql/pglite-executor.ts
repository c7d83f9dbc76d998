import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import type { SqlExecutor } from './sql-executor.js';
import { createStatementNames } from './statement-names.js';

export interface PgliteExecutorOptions {
  /** Close the database with the executor; true when the store opened it. */
  ownsDatabase?: boolean;
  /**
   * Send the store's statements as named prepared statements (default true): each is
   * parsed once, and a call is one trip into PostgreSQL instead of the six (parse,
   * describe, bind, describe, execute, sync) `PGlite.query` makes, which took an append
   * from 0.37 to 0.23 ms.
   */
  preparedStatements?: boolean;
}

/** PostgreSQL's code for a prepared statement that does not exist (any more). */
const UNDEFINED_STATEMENT = '26000';

/** PGlite is one connection in this process: LISTEN works on it directly. */
export function createPgliteExecutor(pglite: PGlite, options: PgliteExecutorOptions = {}): SqlExecutor {
  const statementName = createStatementNames(options.preparedStatements !== false);
  /** Parameter types of each statement prepared on this database, by name. */
  const prepared = new Map<string, number[]>();

  const prepare = async (name: string, text: string): Promise<number[]> => {
    // Closed first (closing none is no error): another executor on the same database may have prepared it.
    const described = await pglite.execProtocolStream(
      Buffer.concat([
        protocol.serialize.close({ type: 'S', name }),
        protocol.serialize.parse({ name, text, types: [] }),
        protocol.serialize.describe({ type: 'S', name }),
        protocol.serialize.sync(),
      ]),
    );
    const parameterTypes = parse.parseDescribeStatementResults(described);
    prepared.set(name, parameterTypes);
    return parameterTypes;
  };

  /** Serialised as `PGlite.query` does: by the type PostgreSQL gave each parameter. */
  const serializeValues = (values: readonly unknown[], parameterTypes: readonly number[]): (string | null)[] =>
    values.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serialize = pglite.serializers[parameterTypes[index] ?? 0];
      if (serialize) return serialize(value);
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value.toString();
      return JSON.stringify(value);
    });

  const execute = async <Row>(name: string, text: string, values: readonly unknown[]): Promise<Row[]> => {
    const parameterTypes = prepared.get(name) ?? (await prepare(name, text));
    const messages = await pglite.execProtocolStream(
      Buffer.concat([
        protocol.serialize.bind({ statement: name, values: serializeValues(values, parameterTypes) }),
        protocol.serialize.describe({ type: 'P' }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
    );
    return parse.parseResults(messages, pglite.parsers)[0]!.rows as Row[];
  };

  return {
    async query<Row>(text: string, values: readonly unknown[] = []) {
      const name = statementName(text);
      if (name === undefined) return (await pglite.query<Row>(text, values as unknown[])).rows;
      await pglite._checkReady();
      // Both of PGlite's locks, as `PGlite.query` takes them: the query lock alone would let
      // this statement run between the statements of another caller's open transaction.
      return pglite._runExclusiveTransaction(() =>
        pglite.runExclusive(async () => {
          try {
            return await execute<Row>(name, text, values);
          } catch (error) {
            if ((error as { code?: string }).code !== UNDEFINED_STATEMENT) throw error;
            // Dropped behind the executor's back (DEALLOCATE, DISCARD): prepared again once.
            prepared.delete(name);
            return execute<Row>(name, text, values);
          }
        }),
      );
    },

    async listen(channel, onNotification) {
      return pglite.listen(channel, () => onNotification());
    },

    async close() {
      if (options.ownsDatabase) await pglite.close();
    },
  };
}
