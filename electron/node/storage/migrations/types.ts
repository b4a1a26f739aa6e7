import type { Database } from 'better-sqlite3';

/**
 * One schema step. Versions go up in tens (0010, 0020...) so that a fix-up can be slotted in between
 * two released steps without renumbering; the file name carries the same number.
 */
export interface Migration {
  version: number;
  name: string;
  /** Runs inside the runner's transaction: never BEGIN/COMMIT here. */
  up(db: Database): void;
}
