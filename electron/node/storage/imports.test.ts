import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar } from '../import/testing/hostileFolder.js';
import { importImages } from '../import/importer.js';
import { classCounts } from './images.js';
import { excludeImport, getImport, listImports } from './imports.js';
import { labelHistory, redoLabelEdit, relabelImages, undoLabelEdit } from './labels.js';
import { tempDir, tempWorkspace, type TempWorkspace } from './testing/fixtures.js';

/** A class-folder tree of real CIFAR images: `perClass` of each of `classes`, from image `offset` on. */
function folderOf(root: string, classes: string[], perClass: number, offset: number): string {
  for (const name of classes) {
    mkdirSync(path.join(root, name), { recursive: true });
    for (const file of readdirSync(path.join(cifar, name)).sort().slice(offset, offset + perClass)) {
      copyFileSync(path.join(cifar, name, file), path.join(root, name, file));
    }
  }
  return root;
}

describe('imports', () => {
  let ws: TempWorkspace;
  let folders: string;
  beforeAll(() => {
    ws = tempWorkspace();
    folders = tempDir();
  });
  afterAll(() => {
    ws.dispose();
    rmSync(folders, { recursive: true, force: true });
  });

  it('records each import and the images it brought in first', async () => {
    const first = await importImages(ws.db, { folder: folderOf(path.join(folders, 'a'), ['cat', 'dog'], 6, 0), workspace: ws.dir });
    // The second folder repeats 2 images of each class and adds 4 new ones.
    const second = await importImages(ws.db, { folder: folderOf(path.join(folders, 'b'), ['cat', 'dog', 'frog'], 6, 4), workspace: ws.dir });
    expect(second.importId).toBeGreaterThan(first.importId);
    expect(second.imported).toBe(4 + 4 + 6);
    const [newest, oldest] = listImports(ws.db);
    expect(newest).toMatchObject({ id: second.importId, source: path.join(folders, 'b'), status: 'completed', images: 14, excluded: 0 });
    expect(oldest).toMatchObject({ id: first.importId, status: 'completed', images: 12 });
    expect(newest.finishedAt).toBeGreaterThanOrEqual(newest.startedAt);
  });

  it('excludes an import in one edit that undo reverts and redo repeats, leaving earlier images alone', async () => {
    const [second, first] = listImports(ws.db);
    const someCat = ws.db.prepare("SELECT i.id FROM images i JOIN classes c ON c.id = i.class_id WHERE import_id = ? AND c.name = 'cat' LIMIT 1").get(second.id) as { id: number };
    const dog = ws.db.prepare("SELECT id FROM classes WHERE name = 'dog'").get() as { id: number };
    relabelImages(ws.db, [someCat.id], dog.id);
    const before = classCounts(ws.db);

    expect(excludeImport(ws.db, second.id)).toEqual({ changed: 14 });
    expect(getImport(ws.db, second.id).excluded).toBe(14);
    expect(getImport(ws.db, first.id).excluded).toBe(0);
    expect(classCounts(ws.db).all.excluded).toBe(14);
    expect(labelHistory(ws.db).edits[0].summary).toBe(`Excluded 14 images of import ${second.id}`);
    // Nothing left to exclude: no empty edit is recorded.
    expect(excludeImport(ws.db, second.id)).toEqual({ changed: 0 });

    undoLabelEdit(ws.db);
    expect(getImport(ws.db, second.id).excluded).toBe(0);
    expect(classCounts(ws.db)).toEqual(before);
    // The relabel made before the exclusion survives its undo.
    const label = ws.db.prepare('SELECT class_id FROM images WHERE id = ?').get(someCat.id) as { class_id: number };
    expect(label.class_id).toBe(dog.id);

    redoLabelEdit(ws.db);
    expect(getImport(ws.db, second.id).excluded).toBe(14);
  });

  it('names the field of an unknown import', () => {
    expect(() => excludeImport(ws.db, 9999)).toThrow(/importId: no import with id 9999/);
  });
});
