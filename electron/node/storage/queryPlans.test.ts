/**
 * Pins the query plans of the grid, the counts and the importer's lookups: each must stay an index
 * search (SEARCH ... USING INDEX), never a SCAN of images, so a 100,000-image workspace stays instant.
 * Enough rows are inserted, and ANALYZE run, for the planner to choose as it will on a real workspace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classCountsSql, imageCountQuery, imageCursorQuery, imagePageQuery, type ImageFilter } from './images.js';
import { importedImagesSql, SELECT_IMPORTS } from './imports.js';
import { provisionalStrataSql, stratumSql } from './splits.js';
import { insertSyntheticImages, tempWorkspace, type TempWorkspace } from './testing/fixtures.js';

let ws: TempWorkspace;

beforeAll(() => {
  ws = tempWorkspace();
  insertSyntheticImages(ws.db, [...Array.from({ length: 20 }, (_, i) => `class${i}`), null], 250);
  ws.db.exec(`UPDATE images SET
    split = CASE id % 10 WHEN 0 THEN 'test' WHEN 1 THEN 'val' ELSE 'train' END,
    state = CASE WHEN id % 50 = 0 THEN 'unsure' WHEN id % 77 = 0 THEN 'excluded' ELSE 'ok' END`);
  // A run that predicted every fifth image, as evaluateRun stores them.
  ws.db.exec(`INSERT INTO runs(id, name, created_at, status, config, class_names) VALUES (1, 'r', 0, 'completed', '{}', '[]');
    INSERT INTO predictions(run_id, split, image_id, label, predicted, confidence, loss, probabilities)
      SELECT 1, split, id, id % 20, (id * 7) % 20, 0.5, 1.0, x'00' FROM images WHERE id % 5 = 0;`);
  // Two imports that brought in alternate images.
  ws.db.exec(`INSERT INTO imports(id, source, started_at, status) VALUES (1, '/a', 0, 'completed'), (2, '/b', 1, 'completed');
    UPDATE images SET import_id = 1 + id % 2;`);
  // A killed import left a few images with provisional splits.
  ws.db.exec('UPDATE images SET provisional_split = 1 WHERE id % 1000 = 7');
  ws.db.exec('ANALYZE');
});
afterAll(() => ws.dispose());

function plan(sql: string, params: unknown = []): string[] {
  return (ws.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params as never) as { detail: string }[]).map((row) => row.detail);
}

const joinClass = 'SEARCH c USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN';

const gridCases: { name: string; filter: ImageFilter; first: string }[] = [
  { name: 'all images, next page', filter: { after: 100 }, first: 'SEARCH i USING INTEGER PRIMARY KEY (rowid>?)' },
  { name: 'one class', filter: { classId: 3, after: 40 }, first: 'SEARCH i USING INDEX images_class (class_id=? AND rowid>?)' },
  { name: 'unlabelled', filter: { classId: null }, first: 'SEARCH i USING INDEX images_class (class_id=? AND rowid>?)' },
  { name: 'one split', filter: { split: 'val' }, first: 'SEARCH i USING INDEX images_split (split=? AND rowid>?)' },
  { name: 'one label state', filter: { state: 'unsure' }, first: 'SEARCH i USING INDEX images_state (state=? AND rowid>?)' },
  {
    name: 'class and split',
    filter: { classId: 3, split: 'val' },
    first: 'SEARCH i USING INDEX images_class_split (class_id=? AND split=? AND rowid>?)',
  },
  {
    name: 'class and state',
    filter: { classId: 3, state: 'ok' },
    first: 'SEARCH i USING INDEX images_class_state (class_id=? AND state=? AND rowid>?)',
  },
  {
    name: 'class, split and state',
    filter: { classId: 3, split: 'test', state: 'ok' },
    first: 'SEARCH i USING INDEX images_class_split_state (class_id=? AND split=? AND state=? AND rowid>?)',
  },
  { name: 'one import', filter: { importId: 2, after: 10 }, first: 'SEARCH i USING INDEX images_import (import_id=? AND id>?)' },
];

describe('query plans at scale', () => {
  it.each(gridCases)('pages through $name with an index search in id order', ({ filter, first }) => {
    const { sql, params } = imagePageQuery(filter);
    const steps = plan(sql, params);
    expect(steps[0]).toBe(first);
    expect(steps).toContain(joinClass);
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|SCAN i\b/);
  });

  it.each([
    { search: 'ss3_0001', index: 'INDEX 0:M1' },
    { search: '01', index: 'INDEX 0:L0' },
  ])('searches paths ($search) through the trigram index, never the images table', ({ search, index }) => {
    const { sql, params } = imagePageQuery({ search, classId: 2 });
    const steps = plan(sql, params);
    expect(steps[0]).toBe('SEARCH i USING INTEGER PRIMARY KEY (rowid=?)');
    expect(steps).toContain(`SCAN images_search VIRTUAL TABLE ${index}`);
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|SCAN i\b/);
  });

  it.each([
    {
      name: 'predicted as one class',
      filter: { prediction: { runId: 1, predicted: 4 }, after: 300 },
      first: 'SEARCH p USING COVERING INDEX predictions_predicted (run_id=? AND predicted=? AND image_id>?)',
    },
    {
      name: 'predicted as one class, in a given class',
      filter: { prediction: { runId: 1, predicted: 4 }, classId: 3 },
      first: 'SEARCH p USING COVERING INDEX predictions_predicted (run_id=? AND predicted=? AND image_id>?)',
    },
  ])('pages through images $name from the run\'s predictions in id order', ({ filter, first }) => {
    const { sql, params } = imagePageQuery(filter);
    const steps = plan(sql, params);
    expect(steps[0]).toBe(first);
    expect(steps[1]).toBe('SEARCH i USING INTEGER PRIMARY KEY (rowid=?)');
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|SCAN [ip]\b/);
  });

  it.each<{ name: string; filter: ImageFilter; first: string }>([
    { name: 'one class', filter: { classId: 3 }, first: 'SEARCH i USING COVERING INDEX images_class (class_id=?)' },
    {
      name: 'class and split',
      filter: { classId: 3, split: 'val' },
      first: 'SEARCH i USING COVERING INDEX images_class_split (class_id=? AND split=?)',
    },
    { name: 'one label state', filter: { state: 'unsure' }, first: 'SEARCH i USING COVERING INDEX images_state (state=?)' },
    { name: 'one import', filter: { importId: 1 }, first: 'SEARCH i USING COVERING INDEX images_import (import_id=?)' },
    {
      name: 'a prediction',
      filter: { prediction: { runId: 1, predicted: 4 } },
      first: 'SEARCH p USING COVERING INDEX predictions_predicted (run_id=? AND predicted=?)',
    },
  ])('counts $name from an index alone (the grid\'s scroll height)', ({ filter, first }) => {
    const { sql, params } = imageCountQuery(filter);
    const steps = plan(sql, params);
    expect(steps[0]).toBe(first);
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|SCAN [ip]\b/);
  });

  it.each<{ name: string; filter: ImageFilter; first: string }>([
    { name: 'all images', filter: { after: 100 }, first: 'SEARCH i USING INTEGER PRIMARY KEY (rowid>?)' },
    { name: 'one class', filter: { classId: 3 }, first: 'SEARCH i USING COVERING INDEX images_class (class_id=? AND rowid>?)' },
    {
      name: 'a prediction',
      filter: { prediction: { runId: 1, predicted: 4 } },
      first: 'SEARCH p USING COVERING INDEX predictions_predicted (run_id=? AND predicted=? AND image_id>?)',
    },
  ])('skips ahead to the next page cursor of $name along an index', ({ filter, first }) => {
    const { sql, params } = imageCursorQuery(filter);
    const steps = plan(sql, { ...params, skip: 499 });
    expect(steps[0]).toBe(first);
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|SCAN [ip]\b/);
  });

  it('counts per class and split from a covering index alone', () => {
    // A full count reads every entry once by definition; it must be the narrow index, not the table.
    expect(plan(classCountsSql)).toEqual(['SCAN images USING COVERING INDEX images_class_split_state']);
  });

  it.each([
    ['a thumbnail by image id', 'SELECT mime, data FROM thumbnails WHERE image_id = ?', 'SEARCH thumbnails USING INTEGER PRIMARY KEY (rowid=?)'],
    ['an image by content hash', 'SELECT id, source_path, class_id FROM images WHERE content_hash = ?', 'SEARCH images USING INDEX sqlite_autoindex_images_1 (content_hash=?)'],
    ['a source by path', 'SELECT image_id FROM image_sources WHERE path = ?', 'SEARCH image_sources USING INDEX sqlite_autoindex_image_sources_1 (path=?)'],
    ["a class's images for its split", stratumSql, 'SEARCH images USING INDEX images_class (class_id=?)'],
    ['training pixels by image, size and policy', "SELECT data FROM training_cache WHERE image_id = ? AND size = ? AND policy = 'letterbox'", 'SEARCH training_cache USING INDEX sqlite_autoindex_training_cache_1 (image_id=? AND size=? AND policy=?)'],
    ["an image's label history", 'SELECT * FROM label_changes WHERE image_id = ?', 'SEARCH label_changes USING INDEX label_changes_image (image_id=?)'],
  ])('finds %s with an index search', (_name, sql, expected) => {
    const params = sql.includes('size') ? [1, 32] : [1];
    expect(plan(sql, params)).toEqual([expected]);
  });
});

describe('import queries', () => {
  it("find an import's images, and count them per import, by index search", () => {
    expect(plan(importedImagesSql, [2])).toEqual(['SEARCH images USING INDEX images_import (import_id=?)']);
    const steps = plan(`${SELECT_IMPORTS} ORDER BY i.id DESC`).filter((step) => step.includes('images'));
    expect(steps[0]).toBe('SEARCH images USING COVERING INDEX images_import (import_id=?)');
    // The excluded count: whichever index the planner prefers, never a scan of every image.
    expect(steps).toHaveLength(2);
    expect(steps[1]).toMatch(/^SEARCH images USING INDEX images_(import|state) \((import_id|state)=\?\)$/);
  });
});

describe('provisional splits', () => {
  it('finds the classes holding one, and settles a class, from the small partial index', () => {
    expect(plan(provisionalStrataSql)).toEqual(['SCAN images USING COVERING INDEX images_provisional_split']);
    expect(plan('UPDATE images SET provisional_split = NULL WHERE class_id IS ? AND provisional_split = 1', [3])).toEqual([
      'SEARCH images USING INDEX images_provisional_split (class_id=?)',
    ]);
  });
});
