/**
 * Owners of runs and imports (migration 0130): the rows, their heartbeats, and handing back what a gone
 * owner held. Whether an owner is gone is decided by the caller (ownership.ts), which can ask the OS.
 */
import type { Db } from './db.js';
import { statement } from './statements.js';

export interface OwnerRow {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface Interrupted {
  runs: number[];
  imports: number[];
}

const ACTIVE_RUN = "('queued', 'running', 'paused')";

export function registerOwner(db: Db, owner: OwnerRow): void {
  statement(db, 'INSERT INTO owners(id, host, pid, started_at, heartbeat_at) VALUES (@id, @host, @pid, @startedAt, @heartbeatAt)').run(owner);
}

/** Records that the owner is alive; false when its row is gone (another process found it stale). */
export function beatOwner(db: Db, ownerId: string, now: number): boolean {
  return statement(db, 'UPDATE owners SET heartbeat_at = ? WHERE id = ?').run(now, ownerId).changes === 1;
}

const ownerColumns = 'id, host, pid, started_at AS startedAt, heartbeat_at AS heartbeatAt';

export function listOwners(db: Db): OwnerRow[] {
  return statement<[], OwnerRow>(db, `SELECT ${ownerColumns} FROM owners ORDER BY id`).all();
}

export function getOwner(db: Db, ownerId: string): OwnerRow | undefined {
  return statement<[string], OwnerRow>(db, `SELECT ${ownerColumns} FROM owners WHERE id = ?`).get(ownerId);
}

/**
 * Removes an owner: the runs it was training or had queued, and the imports it was running, become
 * 'interrupted' (resumable, or re-run); finished ones just lose the owner (ON DELETE SET NULL).
 * Call inside a transaction.
 */
export function releaseOwner(db: Db, ownerId: string, now: number): Interrupted {
  const runs = statement<[string], { id: number }>(
    db,
    `UPDATE runs SET status = 'interrupted', owner_id = NULL WHERE owner_id = ? AND status IN ${ACTIVE_RUN} RETURNING id`,
  ).all(ownerId);
  const imports = statement<[number, string], { id: number }>(
    db,
    "UPDATE imports SET status = 'interrupted', finished_at = ?, owner_id = NULL WHERE owner_id = ? AND status = 'running' RETURNING id",
  ).all(now, ownerId);
  statement(db, 'DELETE FROM owners WHERE id = ?').run(ownerId);
  return { runs: runs.map((r) => r.id), imports: imports.map((r) => r.id) };
}

/** Whether a run or import is marked active with no owner (written before owners existed). */
export function hasOwnerless(db: Db): boolean {
  return (
    statement<[], { n: number }>(
      db,
      `SELECT EXISTS (SELECT 1 FROM runs WHERE status IN ${ACTIVE_RUN} AND owner_id IS NULL)
           OR EXISTS (SELECT 1 FROM imports WHERE status = 'running' AND owner_id IS NULL) AS n`,
    ).get()!.n === 1
  );
}

/** Marks active runs and imports that have no owner as interrupted. Call inside a transaction. */
export function interruptOwnerless(db: Db, now: number): Interrupted {
  const runs = statement<[], { id: number }>(
    db,
    `UPDATE runs SET status = 'interrupted' WHERE status IN ${ACTIVE_RUN} AND owner_id IS NULL RETURNING id`,
  ).all();
  const imports = statement<[number], { id: number }>(
    db,
    "UPDATE imports SET status = 'interrupted', finished_at = ? WHERE status = 'running' AND owner_id IS NULL RETURNING id",
  ).all(now);
  return { runs: runs.map((r) => r.id), imports: imports.map((r) => r.id) };
}
