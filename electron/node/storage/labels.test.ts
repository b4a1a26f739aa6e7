import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../../common/errors.js';
import { liveClassByName, liveClasses } from './classes.js';
import { classCounts, getImage } from './images.js';
import {
  addClass,
  deleteClass,
  labelHistory,
  mergeClasses,
  redoLabelEdit,
  relabelImages,
  renameClass,
  setLabelState,
  undoLabelEdit,
} from './labels.js';
import { insertSyntheticImages, tempWorkspace, type TempWorkspace } from './testing/fixtures.js';

let ws: TempWorkspace;
let ids: number[];
beforeEach(() => {
  ws = tempWorkspace();
  ids = insertSyntheticImages(ws.db, ['cat', 'dog'], 10);
});
afterEach(() => ws.dispose());

const classOf = (id: number) => getImage(ws.db, id).className;
const classId = (name: string) => liveClassByName(ws.db, name)!.id;
const names = () => liveClasses(ws.db).map((c) => c.name);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StudioError ? error.code : 'not a StudioError';
  }
  return undefined;
}

describe('relabelling', () => {
  it('moves images to another class, and undo/redo replay it', () => {
    const cats = ids.slice(0, 3);
    expect(relabelImages(ws.db, cats, classId('dog'))).toEqual({ changed: 3 });
    expect(cats.map(classOf)).toEqual(['dog', 'dog', 'dog']);
    expect(undoLabelEdit(ws.db)?.summary).toBe('Moved 3 images to dog');
    expect(cats.map(classOf)).toEqual(['cat', 'cat', 'cat']);
    expect(labelHistory(ws.db)).toMatchObject({ canUndo: false, canRedo: true });
    expect(redoLabelEdit(ws.db)?.kind).toBe('relabel');
    expect(cats.map(classOf)).toEqual(['dog', 'dog', 'dog']);
    expect(redoLabelEdit(ws.db)).toBeNull();
  });

  it('can make images unlabelled and back', () => {
    relabelImages(ws.db, [ids[0]], null);
    expect(classOf(ids[0])).toBeNull();
    expect(classCounts(ws.db).unlabelled.total).toBe(1);
    undoLabelEdit(ws.db);
    expect(classOf(ids[0])).toBe('cat');
  });

  it('keeps every old label when the edit names an image that does not exist', () => {
    expect(codeOf(() => relabelImages(ws.db, [ids[0], 99_999], classId('dog')))).toBe('not_found');
    expect(classOf(ids[0])).toBe('cat');
    expect(labelHistory(ws.db).edits).toEqual([]);
  });

  it('refuses a deleted class as the target', () => {
    const dog = classId('dog');
    deleteClass(ws.db, dog);
    expect(codeOf(() => relabelImages(ws.db, [ids[0]], dog))).toBe('not_found');
  });

  it('drops the redo stack when a new edit is made', () => {
    relabelImages(ws.db, [ids[0]], classId('dog'));
    undoLabelEdit(ws.db);
    setLabelState(ws.db, [ids[1]], 'unsure');
    expect(labelHistory(ws.db).canRedo).toBe(false);
    expect(redoLabelEdit(ws.db)).toBeNull();
    expect(classOf(ids[0])).toBe('cat');
  });

  it('marks images unsure or excluded, undoably, and counts them apart', () => {
    setLabelState(ws.db, ids.slice(0, 2), 'unsure');
    setLabelState(ws.db, [ids[2]], 'excluded');
    const cat = classCounts(ws.db).classes.find((c) => c.name === 'cat')!;
    expect(cat).toMatchObject({ total: 10, unsure: 2, excluded: 1 });
    expect(cat.train + cat.val + cat.test).toBe(9);
    undoLabelEdit(ws.db);
    expect(getImage(ws.db, ids[2]).state).toBe('ok');
    expect(getImage(ws.db, ids[0]).state).toBe('unsure');
  });
});

describe('classes', () => {
  it('adds, renames and undoes both', () => {
    addClass(ws.db, 'bird');
    renameClass(ws.db, classId('cat'), 'kitten');
    expect(names()).toEqual(['bird', 'dog', 'kitten']);
    expect(classOf(ids[0])).toBe('kitten');
    undoLabelEdit(ws.db);
    undoLabelEdit(ws.db);
    expect(names()).toEqual(['cat', 'dog']);
    redoLabelEdit(ws.db);
    expect(names()).toEqual(['bird', 'cat', 'dog']);
  });

  it('refuses a name that another class has, naming the field', () => {
    let error: StudioError | undefined;
    try {
      renameClass(ws.db, classId('cat'), 'dog');
    } catch (caught) {
      error = caught as StudioError;
    }
    expect(error?.code).toBe('conflict');
    expect(error?.field).toBe('name');
    expect(error?.message).toContain('"dog" already exists');
    expect(codeOf(() => addClass(ws.db, 'cat'))).toBe('conflict');
  });

  it('merges classes in one edit, and undo splits them again', () => {
    addClass(ws.db, 'pets');
    const moved = mergeClasses(ws.db, [classId('cat'), classId('dog')], classId('pets'));
    expect(moved).toEqual({ moved: 20 });
    expect(names()).toEqual(['pets']);
    expect(classCounts(ws.db).classes[0].total).toBe(20);
    undoLabelEdit(ws.db);
    expect(names()).toEqual(['cat', 'dog', 'pets']);
    expect(classOf(ids[0])).toBe('cat');
    expect(classOf(ids[15])).toBe('dog');
  });

  it('deletes a class leaving its images unlabelled, and undo restores both', () => {
    expect(deleteClass(ws.db, classId('dog'))).toEqual({ unlabelled: 10 });
    expect(names()).toEqual(['cat']);
    expect(classCounts(ws.db).unlabelled.total).toBe(10);
    addClass(ws.db, 'dog'); // the name is free again
    undoLabelEdit(ws.db);
    undoLabelEdit(ws.db);
    expect(names()).toEqual(['cat', 'dog']);
    expect(classOf(ids[15])).toBe('dog');
  });

  it('will not undo adding a class that images were imported into since', () => {
    const bird = addClass(ws.db, 'bird');
    ws.db.prepare('UPDATE images SET class_id = ? WHERE id = ?').run(bird, ids[0]); // as an import would
    expect(codeOf(() => undoLabelEdit(ws.db))).toBe('conflict');
    expect(names()).toContain('bird');
  });
});
