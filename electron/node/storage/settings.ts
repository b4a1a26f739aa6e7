/** Workspace settings stored as JSON values, read with a default when absent. */
import type { Db } from './db.js';
import { statement } from './statements.js';

export function readSetting<T>(db: Db, key: string, fallback: T): T {
  const row = statement<[string], { value: string }>(db, 'SELECT value FROM settings WHERE key = ?').get(key);
  return row ? (JSON.parse(row.value) as T) : fallback;
}

export function writeSetting(db: Db, key: string, value: unknown): void {
  statement(db, 'INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    JSON.stringify(value),
  );
}
