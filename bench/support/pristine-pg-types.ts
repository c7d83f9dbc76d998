import pg from 'pg';

type TextParser = (value: string) => unknown;

// Emmett's driver (dumbo) replaces pg's process-wide parsers for int8, json and jsonb
// the first time it opens a pool. Tessera never runs with those parsers in production,
// so its pools in a side-by-side bench use the parsers pg ships with, captured here at
// import time, before any Emmett store exists.
const OVERRIDDEN_TYPES = [pg.types.builtins.INT8, pg.types.builtins.JSON, pg.types.builtins.JSONB];
const textParsers = new Map<number, TextParser>(
  OVERRIDDEN_TYPES.map((oid) => [oid, pg.types.getTypeParser(oid, 'text') as TextParser]),
);

/** Type parsers as pg ships them, for `new pg.Pool({ types })`. */
export const pristinePgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const shipped = format === 'binary' ? undefined : textParsers.get(oid);
    return shipped ?? (pg.types.getTypeParser(oid, format ?? 'text') as TextParser);
  }) as pg.CustomTypesConfig['getTypeParser'],
};
