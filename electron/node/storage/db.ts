/**
 * Opens the SQLite database of a studio workspace: `<workspace>/studio.sqlite`, next to the caches.
 * WAL lets the app's grid read while an import writes; synchronous=NORMAL in WAL mode loses at most
 * the last commits on power loss and never corrupts, and a killed process loses nothing committed.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StudioError } from '../../common/errors.js';
import { migrate } from './migrate.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'studio.sqlite';

export function workspaceDbPath(workspace: string): string {
  return path.join(workspace, DATABASE_FILE);
}

export interface OpenOptions {
  /** Stop migrating at this version (tests of migrations only). */
  targetVersion?: number;
  readonly?: boolean;
}

/** Opens (creating the folder and file when missing) and migrates the workspace database. */
export function openWorkspaceDb(workspace: string, options: OpenOptions = {}): Db {
  const file = workspaceDbPath(workspace);
  try {
    if (!options.readonly) mkdirSync(workspace, { recursive: true });
  } catch (error) {
    throw new StudioError('io_error', `Cannot create the workspace folder ${workspace}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new StudioError('io_error', `Cannot open ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    configure(db);
    if (!options.readonly) migrate(db, { target: options.targetVersion, label: file });
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StudioError) throw error;
    const message = (error as Error).message;
    if (/not a database|malformed/i.test(message)) {
      throw new StudioError('io_error', `${file} is not a readable Attention Studio database (${message}).`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Connection settings; run on every connection, since SQLite keeps them per connection. */
export function configure(db: Db): void {
  // The app and a CLI import may share a workspace; wait for the other's batch rather than fail.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  enableWal(db);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

const BUSY_TIMEOUT_MS = 10_000;

/**
 * Switches the file to WAL (it stays so). On a new file that other processes are opening at the same
 * moment, SQLite answers SQLITE_BUSY at once rather than calling the busy handler (waiting could
 * deadlock two readers that both want the exclusive lock), so wait and retry here, up to the same timeout.
 */
function enableWal(db: Db): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

/**
 * `PRAGMA integrity_check` of the database `db` is open on, run on a connection of its own: SQLite's
 * FTS5 checks the search index against the structure its connection cached when it last read it, so
 * a long-lived connection reports a sound index as corrupt once another connection (another process's
 * import) has added to it (seen with SQLite 3.51; queries refresh that cache, the check does not).
 */
export function integrityCheck(db: Db): string {
  const check = (connection: Db) => (connection.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; ');
  if (db.memory) return check(db);
  const own = new Database(db.name, { readonly: true, fileMustExist: true });
  try {
    return check(own);
  } finally {
    own.close();
  }
}
