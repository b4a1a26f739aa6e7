/** Prepared statements cached per connection: preparing costs more than running for the small hot queries. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

const cache = new WeakMap<Db, Map<string, Statement>>();

export function statement<P extends unknown[] | object = unknown[], R = unknown>(db: Db, sql: string): Statement<P, R> {
  let perDb = cache.get(db);
  if (!perDb) {
    perDb = new Map();
    cache.set(db, perDb);
  }
  let prepared = perDb.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    perDb.set(sql, prepared);
  }
  return prepared as unknown as Statement<P, R>;
}
