/** Image rows: inserts from the importer and the grid's queries (pinned by queryPlans.test.ts). */
import type {
  ClassCounts,
  ImagePage,
  ImageSummary,
  LabelState,
  SplitCounts,
  SplitName,
} from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import type { Db } from './db.js';
import { statement } from './statements.js';

export interface NewImage {
  contentHash: string;
  sourcePath: string;
  fileName: string;
  format: string;
  width: number;
  height: number;
  channels: number;
  hasAlpha: boolean;
  bytes: number;
  importedAt: number;
  classId: number | null;
  split: SplitName;
  /** The import run that brings it in (the `imports` table); absent for images made otherwise. */
  importId?: number;
  /** `split` is provisional: the image's class is rebalanced when the import ends (splits.ts). */
  provisionalSplit?: boolean;
  /** `split` was chosen by the user (an import as a split): rebalancing leaves it (splits.ts). */
  splitPinned?: boolean;
}

/**
 * Inserts an image and its source path into the search index; returns its id, or null when the same
 * content is already there (another import into the same workspace, e.g. the CLI while the app
 * imports, got there first). Every insert of an image goes through here (see migration 0040).
 */
export function insertImage(db: Db, image: NewImage): number | null {
  const info = statement(
    db,
    `INSERT INTO images(content_hash, source_path, file_name, format, width, height, channels, has_alpha, bytes,
                        imported_at, class_id, state, split, import_id, provisional_split, split_pinned)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?)
     ON CONFLICT(content_hash) DO NOTHING`,
  ).run(
    image.contentHash,
    image.sourcePath,
    image.fileName,
    image.format,
    image.width,
    image.height,
    image.channels,
    image.hasAlpha ? 1 : 0,
    image.bytes,
    image.importedAt,
    image.classId,
    image.split,
    image.importId ?? null,
    image.provisionalSplit ? 1 : null,
    image.splitPinned ? 1 : null,
  );
  if (info.changes === 0) return null;
  const id = Number(info.lastInsertRowid);
  statement(db, 'INSERT INTO images_search(rowid, source_path) VALUES (?, ?)').run(id, image.sourcePath);
  return id;
}

export interface ImageByHash {
  id: number;
  source_path: string;
  class_id: number | null;
}

export function imageByHash(db: Db, contentHash: string): ImageByHash | undefined {
  return statement<[string], ImageByHash>(db, 'SELECT id, source_path, class_id FROM images WHERE content_hash = ?').get(
    contentHash,
  );
}

export interface SourceRow {
  path: string;
  image_id: number;
  size: number;
  mtime_ms: number;
}

/** Every source path under a folder, so a re-import can skip files that have not changed. */
export function sourcesUnder(db: Db, folder: string): Map<string, SourceRow> {
  const prefix = folder.endsWith('/') || folder.endsWith('\\') ? folder : folder + (folder.includes('\\') ? '\\' : '/');
  // A range on the primary key rather than LIKE, so that % and _ in folder names mean nothing.
  const rows = statement<[string, string], SourceRow>(
    db,
    'SELECT path, image_id, size, mtime_ms FROM image_sources WHERE path >= ? AND path < ?',
  ).all(prefix, prefix + '\uffff');
  return new Map(rows.map((row) => [row.path, row]));
}

export function upsertSource(db: Db, source: SourceRow & { folder_label: string | null }): void {
  statement(
    db,
    `INSERT INTO image_sources(path, image_id, size, mtime_ms, folder_label) VALUES (@path, @image_id, @size, @mtime_ms, @folder_label)
     ON CONFLICT(path) DO UPDATE SET image_id = excluded.image_id, size = excluded.size, mtime_ms = excluded.mtime_ms,
       folder_label = excluded.folder_label`,
  ).run(source);
}

interface ImageRow {
  id: number;
  file_name: string;
  source_path: string;
  class_id: number | null;
  class_name: string | null;
  state: LabelState;
  split: SplitName;
  split_pinned: 1 | null;
  import_id: number | null;
  format: string;
  width: number;
  height: number;
  channels: number;
  bytes: number;
  content_hash: string;
  imported_at: number;
}

const imageColumns = `i.id, i.file_name, i.source_path, i.class_id, c.name AS class_name, i.state, i.split, i.split_pinned,
  i.import_id, i.format, i.width, i.height, i.channels, i.bytes, i.content_hash, i.imported_at`;

function toSummary(row: ImageRow): ImageSummary {
  return {
    id: row.id,
    fileName: row.file_name,
    sourcePath: row.source_path,
    classId: row.class_id,
    className: row.class_name,
    state: row.state,
    split: row.split,
    splitPinned: row.split_pinned === 1,
    importId: row.import_id,
    format: row.format,
    width: row.width,
    height: row.height,
    channels: row.channels,
    bytes: row.bytes,
    contentHash: row.content_hash,
    importedAt: row.imported_at,
  };
}

export function getImage(db: Db, id: number): ImageSummary {
  const row = statement<[number], ImageRow>(
    db,
    `SELECT ${imageColumns} FROM images i LEFT JOIN classes c ON c.id = i.class_id WHERE i.id = ?`,
  ).get(id);
  if (!row) throw new StudioError('not_found', `imageId: no image with id ${id} in this workspace`, { field: 'imageId' });
  return toSummary(row);
}

export interface ImageFilter {
  /** undefined: any; null: unlabelled. */
  classId?: number | null;
  split?: SplitName;
  state?: LabelState;
  /** Part of the source path (folders and file name), case-insensitive. */
  search?: string;
  /** Images an import brought in first. */
  importId?: number;
  /** Images a run predicted as this class (an index into the run's class names), in any evaluated split. */
  prediction?: { runId: number; predicted: number };
  after?: number;
  limit?: number;
}

/**
 * FROM and WHERE of the grid's filters, shared by its pages and its count. With a prediction filter the
 * run's predictions drive the query (index predictions_predicted, in image id order); an image has at most
 * one prediction per run, since it sits in one split of the run's snapshot.
 */
function filterClause(filter: ImageFilter, withCursor: boolean): { from: string; where: string[]; params: Record<string, unknown>; idColumn: string } {
  const byPrediction = filter.prediction !== undefined;
  const idColumn = byPrediction ? 'p.image_id' : 'i.id';
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.prediction) {
    where.push('p.run_id = @runId', 'p.predicted = @predicted');
    params.runId = filter.prediction.runId;
    params.predicted = filter.prediction.predicted;
  }
  if (withCursor) {
    where.push(`${idColumn} > @after`);
    params.after = filter.after ?? 0;
  }
  if (filter.classId === null) where.push('i.class_id IS NULL');
  else if (filter.classId !== undefined) {
    where.push('i.class_id = @classId');
    params.classId = filter.classId;
  }
  if (filter.split) {
    where.push('i.split = @split');
    params.split = filter.split;
  }
  if (filter.state) {
    where.push('i.state = @state');
    params.state = filter.state;
  }
  if (filter.importId !== undefined) {
    where.push('i.import_id = @importId');
    params.importId = filter.importId;
  }
  const search = filter.search?.trim();
  if (search) {
    // The trigram index answers substrings of 3+ characters exactly (as a quoted phrase); shorter ones
    // go through its LIKE support, which scans the index but still never reads the images table.
    if ([...search].length >= 3) {
      where.push(`${idColumn} IN (SELECT rowid FROM images_search WHERE images_search MATCH @match)`);
      params.match = `"${search.replaceAll('"', '""')}"`;
    } else {
      where.push(`${idColumn} IN (SELECT rowid FROM images_search WHERE source_path LIKE @like)`);
      params.like = `%${search}%`;
    }
  }
  // An import's images: its index always. The planner's statistics only know that an import holds
  // the average share of the images, so for a small import beside a large one it would walk the
  // whole table in id order instead.
  const images = filter.importId !== undefined ? 'images i INDEXED BY images_import' : 'images i';
  const from = byPrediction ? `predictions p JOIN ${images} ON i.id = p.image_id` : images;
  return { from, where, params, idColumn };
}

/** The SQL and parameters of one grid page; exported so the query-plan test sees exactly what runs. */
export function imagePageQuery(filter: ImageFilter): { sql: string; params: Record<string, unknown> } {
  const { from, where, params, idColumn } = filterClause(filter, true);
  params.limit = (filter.limit ?? 100) + 1;
  const sql = `SELECT ${imageColumns} FROM ${from} LEFT JOIN classes c ON c.id = i.class_id
    WHERE ${where.join(' AND ')} ORDER BY ${idColumn} LIMIT @limit`;
  return { sql, params };
}

/** The SQL of one step of imageCursors: the id `@skip` places after the cursor (pinned by queryPlans.test.ts). */
export function imageCursorQuery(filter: Omit<ImageFilter, 'limit'>): { sql: string; params: Record<string, unknown> } {
  const { from, where, params, idColumn } = filterClause(filter, true);
  const sql = `SELECT ${idColumn} AS id FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${idColumn} LIMIT 1 OFFSET @skip`;
  return { sql, params };
}

/**
 * The keyset cursors of the next `pages` pages of `every` images after `after`: cursor k is the id of
 * the (k * every)-th image, so page k + 1 is `listImages({ after: cursor k })`. Each step skips along
 * an index reading ids only, so a grid jumps to image 90,000 without fetching the rows before it.
 */
export function imageCursors(db: Db, filter: Omit<ImageFilter, 'limit' | 'after'>, every: number, pages: number, after = 0): number[] {
  const { sql, params } = imageCursorQuery(filter);
  const step = statement<[Record<string, unknown>], { id: number }>(db, sql);
  const cursors: number[] = [];
  let cursor = after;
  for (let k = 0; k < pages; k++) {
    const row = step.get({ ...params, after: cursor, skip: every - 1 });
    if (!row) break;
    cursor = row.id;
    cursors.push(cursor);
  }
  return cursors;
}

/** The SQL of a filter's image count (the grid's scroll height); pinned by queryPlans.test.ts. */
export function imageCountQuery(filter: Omit<ImageFilter, 'after' | 'limit'>): { sql: string; params: Record<string, unknown> } {
  const { from, where, params } = filterClause(filter, false);
  const sql = `SELECT count(*) AS n FROM ${from}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
  return { sql, params };
}

export function countImages(db: Db, filter: Omit<ImageFilter, 'after' | 'limit'> = {}): number {
  const { sql, params } = imageCountQuery(filter);
  return statement<[Record<string, unknown>], { n: number }>(db, sql).get(params)!.n;
}

/** One page in id order (import order), keyset-paginated: page N costs the same as page 1. */
export function listImages(db: Db, filter: ImageFilter = {}): ImagePage {
  const limit = filter.limit ?? 100;
  const { sql, params } = imagePageQuery({ ...filter, limit });
  const rows = statement<[Record<string, unknown>], ImageRow>(db, sql).all(params);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { images: page.map(toSummary), nextCursor: more ? page[page.length - 1].id : null };
}

export const classCountsSql = `SELECT class_id, split, state, count(*) AS n FROM images GROUP BY class_id, split, state`;

function emptyCounts(): SplitCounts {
  return { total: 0, train: 0, val: 0, test: 0, unsure: 0, excluded: 0 };
}

/**
 * Counts per class. train/val/test count the images a run would use (not excluded); unsure and
 * excluded are counted apart; total is every image of the class.
 */
export function classCounts(db: Db): ClassCounts {
  const classes = statement<[], { id: number; name: string }>(
    db,
    'SELECT id, name FROM classes WHERE deleted_at IS NULL ORDER BY name COLLATE NOCASE, id',
  ).all();
  const byId = new Map(classes.map((c) => [c.id, { id: c.id, name: c.name, ...emptyCounts() }]));
  const unlabelled = emptyCounts();
  const all = emptyCounts();
  const rows = statement<[], { class_id: number | null; split: SplitName; state: LabelState; n: number }>(
    db,
    classCountsSql,
  ).all();
  for (const row of rows) {
    const target = row.class_id === null ? unlabelled : byId.get(row.class_id);
    for (const counts of target ? [target, all] : [all]) {
      counts.total += row.n;
      if (row.state === 'excluded') counts.excluded += row.n;
      else counts[row.split] += row.n;
      if (row.state === 'unsure') counts.unsure += row.n;
    }
  }
  return { classes: [...byId.values()], unlabelled, all };
}

/** name -> image count, "(unlabelled)" for images without a class; for reports. */
export function countsByClassName(db: Db): Record<string, number> {
  const counts = classCounts(db);
  const result: Record<string, number> = {};
  for (const c of counts.classes) result[c.name] = c.total;
  if (counts.unlabelled.total > 0) result['(unlabelled)'] = counts.unlabelled.total;
  return result;
}
