/** Import runs: which images each one brought in, and excluding them again in one undoable edit. */
import type { ImportRecord, ImportReport, SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import type { Db } from './db.js';
import { setLabelState } from './labels.js';
import { statement } from './statements.js';

export type ImportStatus = ImportRecord['status'];

/**
 * Records a running import held by `ownerId` (storage/owners.ts): if that process dies, it becomes
 * interrupted. `split`: the split every image it brings in is put in (null: by the ratios).
 */
export function beginImport(db: Db, source: string, ownerId: string | null = null, split: SplitName | null = null): number {
  const info = statement(db, "INSERT INTO imports(source, started_at, status, owner_id, split) VALUES (?, ?, 'running', ?, ?)").run(
    source,
    Date.now(),
    ownerId,
    split,
  );
  return Number(info.lastInsertRowid);
}

/** Ends an import; its report, when there is one, is kept so it can be read again later. */
export function finishImport(db: Db, importId: number, status: Exclude<ImportStatus, 'running' | 'interrupted'>, report: ImportReport | null = null): void {
  statement(db, 'UPDATE imports SET finished_at = ?, status = ?, owner_id = NULL, report = ? WHERE id = ?').run(
    Date.now(),
    status,
    report ? JSON.stringify(report) : null,
    importId,
  );
}

interface ImportRow {
  id: number;
  source: string;
  started_at: number;
  finished_at: number | null;
  status: ImportStatus;
  split: SplitName | null;
  has_report: 0 | 1;
  images: number;
  excluded: number;
}

/** The images an import brought in that are not excluded yet (an index search on images_import). */
export const importedImagesSql = "SELECT id FROM images WHERE import_id = ? AND state != 'excluded' ORDER BY id";

export const SELECT_IMPORTS = `
  SELECT i.id, i.source, i.started_at, i.finished_at, i.status, i.split, i.report IS NOT NULL AS has_report,
         (SELECT count(*) FROM images WHERE import_id = i.id) AS images,
         (SELECT count(*) FROM images WHERE import_id = i.id AND state = 'excluded') AS excluded
  FROM imports i`;

function toRecord(row: ImportRow): ImportRecord {
  return {
    id: row.id, source: row.source, startedAt: row.started_at, finishedAt: row.finished_at, status: row.status,
    split: row.split, hasReport: row.has_report === 1, images: row.images, excluded: row.excluded,
  };
}

/** Every import, newest first. */
export function listImports(db: Db): ImportRecord[] {
  return statement<[], ImportRow>(db, `${SELECT_IMPORTS} ORDER BY i.id DESC`).all().map(toRecord);
}

export function getImport(db: Db, importId: number): ImportRecord {
  const row = statement<[number], ImportRow>(db, `${SELECT_IMPORTS} WHERE i.id = ?`).get(importId);
  if (!row) throw new StudioError('not_found', `importId: no import with id ${importId} in this workspace`, { field: 'importId' });
  return toRecord(row);
}

/**
 * An import's record and the report it finished with (null for an import that was interrupted, or
 * that ran before reports were kept).
 */
export function importReport(db: Db, importId: number): { record: ImportRecord; report: ImportReport | null } {
  const record = getImport(db, importId);
  const row = statement<[number], { report: string | null }>(db, 'SELECT report FROM imports WHERE id = ?').get(importId);
  return { record, report: row?.report ? (JSON.parse(row.report) as ImportReport) : null };
}

/**
 * Marks every image an import brought in as excluded, as one label edit: undo brings them back with
 * the labels they had. Images stay in the workspace (runs may refer to them); excluded images are left
 * out of training and of the split quotas.
 */
export function excludeImport(db: Db, importId: number, actor = 'user'): { changed: number } {
  getImport(db, importId);
  const ids = statement<[number], { id: number }>(db, importedImagesSql)
    .all(importId)
    .map((row) => row.id);
  if (ids.length === 0) return { changed: 0 };
  return setLabelState(db, ids, 'excluded', actor, `Excluded ${ids.length} image${ids.length === 1 ? '' : 's'} of import ${importId}`);
}
