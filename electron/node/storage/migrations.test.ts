import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { StudioError } from '../../common/errors.js';
import { openWorkspaceDb, workspaceDbPath, type Db } from './db.js';
import { checkMigrationOrder, latestVersion, migrate, schemaVersion } from './migrate.js';
import { migrations } from './migrations/index.js';
import { hasOwnerless } from './owners.js';
import { provisionalStrata, rebalanceSplits } from './splits.js';
import { tempDir } from './testing/fixtures.js';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openAt(version: number): { dir: string; db: Db } {
  const dir = tempDir();
  dirs.push(dir);
  const db = openWorkspaceDb(dir, { targetVersion: version });
  dbs.push(db);
  return { dir, db };
}

function dump(db: Db, table: string): unknown[] {
  // WITHOUT ROWID tables have no rowid: order by the leading columns, which are their keys.
  return db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
}

/** Rows written with the schema of version `at`, as a user's database would hold them. */
const seeds: Record<number, (db: Db) => void> = {
  10: (db) => {
    db.exec(`
      INSERT INTO classes(id, name, created_at) VALUES (1, 'cat', 1), (2, 'dog', 2), (3, 'old', 3);
      UPDATE classes SET deleted_at = 4 WHERE id = 3;
      INSERT INTO images(id, content_hash, source_path, file_name, format, width, height, channels, has_alpha, bytes,
                         imported_at, class_id, state, split)
      VALUES (1, 'h1', '/d/cat/kitten 01.jpg', 'kitten 01.jpg', 'jpeg', 32, 32, 3, 0, 900, 5, 1, 'ok', 'train'),
             (2, 'h2', '/d/dog/puppy.png', 'puppy.png', 'png', 40, 30, 4, 1, 1200, 6, 2, 'unsure', 'test'),
             (3, 'h3', '/d/root.gif', 'root.gif', 'gif', 8, 8, 1, 0, 50, 7, NULL, 'excluded', 'val');
      INSERT INTO image_sources(path, image_id, size, mtime_ms, folder_label) VALUES ('/d/cat/kitten 01.jpg', 1, 900, 11, 'cat');
      INSERT INTO settings(key, value) VALUES ('splits', '{"seed":7}');
    `);
  },
  20: (db) => {
    seeds[10](db);
    db.exec(`
      INSERT INTO label_edits(id, kind, summary, actor, created_at) VALUES (1, 'relabel', 'Moved 1 image to dog', 'user', 8);
      INSERT INTO label_changes(edit_id, image_id, old_class_id, new_class_id, old_state, new_state) VALUES (1, 1, 2, 1, 'ok', 'ok');
      INSERT INTO class_changes(edit_id, class_id, old_name, new_name) VALUES (1, 3, 'old', NULL);
    `);
  },
  30: (db) => {
    seeds[20](db);
    db.prepare('INSERT INTO thumbnails(image_id, mime, width, height, data) VALUES (1, ?, 32, 32, ?)').run('image/jpeg', Buffer.from([1, 2, 3]));
    db.prepare('INSERT INTO training_cache(image_id, size, channels, data) VALUES (1, 32, 3, ?)').run(Buffer.alloc(3072, 9));
  },
  100: (db) => {
    seeds[30](db);
    db.exec(`
      INSERT INTO runs(id, name, created_at, status, config, class_names, epochs_done)
      VALUES (1, 'done', 10, 'completed', '{"model":"lite-16"}', '["cat","dog"]', 2),
             (2, 'was training', 11, 'running', '{"model":"lite-16"}', '["cat","dog"]', 1);
      INSERT INTO run_images(run_id, image_id, class_index, split) VALUES (1, 1, 0, 'train'), (2, 1, 0, 'train');
      INSERT INTO run_epochs(run_id, epoch, step, learning_rate, train_loss, train_accuracy, train_seconds, images_per_second, created_at)
      VALUES (1, 1, 10, 0.1, 1.5, 0.4, 3, 100, 12);
    `);
  },
  120: (db) => {
    seeds[100](db);
    db.exec(`
      INSERT INTO imports(id, source, started_at, finished_at, status) VALUES (1, '/d', 1, 2, 'completed'), (2, '/e', 3, NULL, 'running');
      UPDATE images SET import_id = 1 WHERE id IN (1, 2);
      UPDATE images SET import_id = 2 WHERE id = 3;
    `);
  },
};

const tablesAt: Record<number, string[]> = {
  10: ['settings', 'classes', 'images', 'image_sources'],
  20: ['label_edits', 'label_changes', 'class_changes'],
  30: ['thumbnails', 'training_cache'],
  100: ['runs', 'run_images', 'run_epochs'],
  120: ['imports'],
  150: ['split_changes'],
};

describe('migrations', () => {
  it('are listed in increasing order of version', () => {
    expect(() => checkMigrationOrder(migrations)).not.toThrow();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
  });

  it('refuses a list where a step comes out of order', () => {
    const swapped = [migrations[1], migrations[0]];
    expect(() => checkMigrationOrder(swapped)).toThrow(/out of order: 0010-create-classes-and-images comes after version 20/);
  });

  it('brings a new workspace to the newest version, and reopening changes nothing', () => {
    const { dir, db } = openAt(latestVersion());
    expect(schemaVersion(db)).toBe(latestVersion());
    db.close();
    const again = openWorkspaceDb(dir);
    dbs.push(again);
    expect(migrate(again)).toEqual([]);
  });

  it('refuses a database written by a newer version, naming the file', () => {
    const dir = tempDir();
    dirs.push(dir);
    const raw = new Database(workspaceDbPath(dir));
    raw.pragma(`user_version = ${latestVersion() + 10}`);
    raw.close();
    let error: unknown;
    try {
      openWorkspaceDb(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('conflict');
    expect((error as StudioError).message).toContain(workspaceDbPath(dir));
    expect((error as StudioError).message).toMatch(/newer Attention Studio \(schema version \d+; this version knows up to \d+\)/);
  });

  it('refuses a file that is not a database, naming it', () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(workspaceDbPath(dir), 'this is not sqlite, just text that is long enough to be checked');
    expect(() => openWorkspaceDb(dir)).toThrow(/studio\.sqlite is not a readable Attention Studio database/);
  });

  /** Columns a step adds to existing tables: old rows must get them empty (null), and otherwise stay as they were. */
  const addedColumns: Record<number, Record<string, string[]>> = {
    120: { images: ['import_id'] },
    130: { runs: ['owner_id'], imports: ['owner_id'] },
    140: { images: ['provisional_split'] },
    150: { images: ['split_pinned'], imports: ['split'] },
    160: { imports: ['report'] },
    180: { training_cache: ['policy'] },
  };
  /** Values a step gives every old row of a table instead of null: table -> column -> value. */
  const everyRowColumns: Record<number, Record<string, Record<string, unknown>>> = {
    // Everything cached before the choice existed was squashed.
    180: { training_cache: { policy: 'squash' } },
  };
  /** Values a step fills in for some old rows instead: table -> column -> row id -> value. */
  const filledColumns: Record<number, Record<string, Record<string, Record<number, unknown>>>> = {
    // Image 3 came from import 2, which never finished.
    140: { images: { provisional_split: { 3: 1 } } },
  };

  // "N-10" is the step before N; numbering may leave gaps (0040 then 0100).
  const steps = migrations.slice(1).map((step, i) => ({ from: migrations[i].version, to: step.version, name: step.name }));
  it.each(steps)('keeps every row when migrating from $from to $to ($name)', ({ from, to }) => {
    const { db } = openAt(from);
    expect(schemaVersion(db)).toBe(from);
    const seedAt = Math.max(...Object.keys(seeds).map(Number).filter((v) => v <= from));
    seeds[seedAt](db);
    const tables = Object.entries(tablesAt).flatMap(([at, names]) => (Number(at) <= from ? names : []));
    const before = Object.fromEntries(tables.map((t) => [t, dump(db, t)]));
    migrate(db, { target: to });
    expect(schemaVersion(db)).toBe(to);
    for (const table of tables) {
      const rows = dump(db, table) as Record<string, unknown>[];
      for (const column of addedColumns[to]?.[table] ?? []) {
        for (const row of rows) {
          const expected = everyRowColumns[to]?.[table]?.[column] ?? filledColumns[to]?.[table]?.[column]?.[row.id as number] ?? null;
          expect(row[column], `${table}.${column}`).toEqual(expected);
          delete row[column];
        }
      }
      expect(rows, table).toEqual(before[table]);
    }
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('leaves runs and imports written before owners existed without one, so the next look marks the active ones interrupted (0130)', () => {
    const { db } = openAt(120);
    seeds[120](db);
    migrate(db, { target: 130 });
    expect(db.prepare('SELECT id, status, owner_id FROM runs ORDER BY id').all()).toEqual([
      { id: 1, status: 'completed', owner_id: null },
      { id: 2, status: 'running', owner_id: null },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM owners').get()).toEqual({ n: 0 });
    expect(hasOwnerless(db)).toBe(true);
  });

  it('marks the splits of images from imports that never finished as provisional, and rebalancing settles them (0140)', () => {
    const { db } = openAt(130);
    seeds[120](db);
    db.exec("UPDATE imports SET status = 'interrupted' WHERE id = 2");
    migrate(db, { target: 140 });
    expect(db.prepare('SELECT id, provisional_split FROM images ORDER BY id').all()).toEqual([
      { id: 1, provisional_split: null },
      { id: 2, provisional_split: null },
      { id: 3, provisional_split: 1 },
    ]);
    expect(provisionalStrata(db)).toEqual([null]);
    // Today's rebalancing runs on today's schema.
    migrate(db);
    rebalanceSplits(db, provisionalStrata(db));
    expect(provisionalStrata(db)).toEqual([]);
  });

  it('makes the folders of existing images searchable, and keeps the index in step with the images (0170)', () => {
    const { db } = openAt(160);
    seeds[120](db);
    migrate(db, { target: 170 });
    const search = (phrase: string) => db.prepare('SELECT rowid FROM images_search WHERE images_search MATCH ? ORDER BY rowid').all(`"${phrase}"`);
    expect(search('/dog/')).toEqual([{ rowid: 2 }]);
    expect(search('tten 0')).toEqual([{ rowid: 1 }]);
    db.exec("UPDATE images SET source_path = '/e/moved/puppy.png' WHERE id = 2");
    expect(search('/dog/')).toEqual([]);
    expect(search('moved')).toEqual([{ rowid: 2 }]);
    db.exec('DELETE FROM image_sources; DELETE FROM run_images; DELETE FROM thumbnails; DELETE FROM training_cache; DELETE FROM label_changes; DELETE FROM images WHERE id = 2');
    expect(search('moved')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('keeps squashed pixels beside pixels of the same size under another policy, and still belong to their image (0180)', () => {
    const { db } = openAt(170);
    seeds[120](db);
    migrate(db, { target: 180 });
    db.prepare("INSERT INTO training_cache(image_id, size, policy, channels, data) VALUES (1, 32, 'letterbox', 3, ?)").run(Buffer.alloc(3072, 1));
    expect(() => db.prepare("INSERT INTO training_cache(image_id, size, policy, channels, data) VALUES (1, 32, 'stretch', 3, ?)").run(Buffer.alloc(3))).toThrow(/CHECK constraint/);
    expect(db.prepare('SELECT image_id, size, policy FROM training_cache ORDER BY policy').all()).toEqual([
      { image_id: 1, size: 32, policy: 'letterbox' },
      { image_id: 1, size: 32, policy: 'squash' },
    ]);
    expect(db.pragma('foreign_key_list(training_cache)')).toMatchObject([{ table: 'images', from: 'image_id', to: 'id', on_delete: 'CASCADE' }]);
  });

  it('indexes the file names of images imported before the search index existed (0040)', () => {
    const { db } = openAt(30);
    seeds[30](db);
    migrate(db, { target: 40 });
    const hits = db.prepare(`SELECT rowid FROM images_search WHERE images_search MATCH '"tten 0"'`).all();
    expect(hits).toEqual([{ rowid: 1 }]);
  });
});

describe('a new workspace opened by several processes at once', () => {
  const opener = fileURLToPath(new URL('./testing/openChild.ts', import.meta.url));

  /** A child that opens each workspace named on its stdin; `next()` is its next output line. */
  function startOpener(): { proc: ChildProcess; next: () => Promise<string> } {
    const proc = spawn(process.execPath, ['--import', 'tsx', opener], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: Interface = createInterface({ input: proc.stdout! });
    const queued: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    lines.on('line', (line) => (waiting.length > 0 ? waiting.shift()!(line) : queued.push(line)));
    return { proc, next: () => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
  }

  it('migrates it once: every process opens it at the newest version, none fails', async () => {
    const children = Array.from({ length: 6 }, startOpener);
    try {
      expect(await Promise.all(children.map((c) => c.next()))).toEqual(Array(6).fill('ready'));
      // Each round is a fresh folder that all six open at the same moment.
      for (let round = 0; round < 8; round++) {
        const dir = tempDir();
        dirs.push(dir);
        for (const child of children) child.proc.stdin!.write(`${dir}\n`);
        const results = (await Promise.all(children.map((c) => c.next()))).map((line) => JSON.parse(line) as { version?: number; error?: string });
        expect(results, `round ${round}`).toEqual(Array(6).fill({ version: latestVersion() }));
        const db = openWorkspaceDb(dir);
        dbs.push(db);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      }
    } finally {
      for (const child of children) child.proc.stdin!.end();
      await Promise.all(children.map((c) => new Promise((resolve) => (c.proc.exitCode !== null ? resolve(null) : c.proc.once('exit', resolve)))));
    }
  });
});
