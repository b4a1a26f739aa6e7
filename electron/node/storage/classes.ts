/** Classes: rows are kept after deletion (deleted_at) so that undo and label history can refer to them. */
import { StudioError } from '../../common/errors.js';
import type { Db } from './db.js';
import { statement } from './statements.js';

export interface ClassRow {
  id: number;
  name: string;
  deleted_at: number | null;
}

export function liveClasses(db: Db): { id: number; name: string }[] {
  return statement<[], { id: number; name: string }>(
    db,
    'SELECT id, name FROM classes WHERE deleted_at IS NULL ORDER BY name COLLATE NOCASE, id',
  ).all();
}

export function classRow(db: Db, id: number): ClassRow | undefined {
  return statement<[number], ClassRow>(db, 'SELECT id, name, deleted_at FROM classes WHERE id = ?').get(id);
}

/** A live class, or a not_found error naming the field the id came from. */
export function requireLiveClass(db: Db, id: number, field = 'classId'): ClassRow {
  const row = classRow(db, id);
  if (!row || row.deleted_at !== null) {
    throw new StudioError('not_found', `${field}: no class with id ${id} in this workspace`, { field });
  }
  return row;
}

export function liveClassByName(db: Db, name: string): ClassRow | undefined {
  return statement<[string], ClassRow>(
    db,
    'SELECT id, name, deleted_at FROM classes WHERE name = ? AND deleted_at IS NULL',
  ).get(name);
}

export function insertClass(db: Db, name: string, now = Date.now()): number {
  const info = statement(db, 'INSERT INTO classes(name, created_at) VALUES (?, ?)').run(name, now);
  return Number(info.lastInsertRowid);
}

/** The id of the live class with this name, created when missing (imports create classes without history). */
export function ensureClass(db: Db, name: string, now = Date.now()): number {
  return liveClassByName(db, name)?.id ?? insertClass(db, name, now);
}

/** Sets a class's name, or deletes it (name null), or brings it back. Used by edits and by undo. */
export function setClassName(db: Db, id: number, name: string | null, now = Date.now()): void {
  if (name === null) {
    statement(db, 'UPDATE classes SET deleted_at = ? WHERE id = ?').run(now, id);
    return;
  }
  const clash = liveClassByName(db, name);
  if (clash && clash.id !== id) {
    throw new StudioError('conflict', `A class named "${name}" already exists; merge the two classes instead`, {
      field: 'name',
    });
  }
  statement(db, 'UPDATE classes SET name = ?, deleted_at = NULL WHERE id = ?').run(name, id);
}
