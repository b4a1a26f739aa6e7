/**
 * Splits the user chose: folders imported as a split, and images moved to a split by hand. They keep
 * their split through every rebalance, take no place in the quotas, obey the test lock, and a move by
 * hand is a label edit that undo reverts.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import { importImages } from '../import/importer.js';
import { cifar } from '../import/testing/hostileFolder.js';
import { liveClassByName } from './classes.js';
import { classCounts, countImages, listImages } from './images.js';
import { importReport, listImports } from './imports.js';
import { labelHistory, moveImagesToSplit, redoLabelEdit, relabelImages, setLabelState, undoLabelEdit } from './labels.js';
import { lockTestSplit, rebalanceSplits, setSplitRatios } from './splits.js';
import { insertSyntheticImages, tempDir, tempWorkspace, type TempWorkspace } from './testing/fixtures.js';

function splitOf(ws: TempWorkspace, ids: number[]): Record<number, { split: SplitName; pinned: boolean }> {
  const rows = ws.db
    .prepare('SELECT id, split, split_pinned FROM images WHERE id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(ids)) as { id: number; split: SplitName; split_pinned: 1 | null }[];
  return Object.fromEntries(rows.map((r) => [r.id, { split: r.split, pinned: r.split_pinned === 1 }]));
}

function splitsOf(ws: TempWorkspace, ids: number[]): SplitName[] {
  const found = splitOf(ws, ids);
  return ids.map((id) => found[id]!.split);
}

describe('images moved to a split by hand', () => {
  let ws: TempWorkspace;
  let ids: number[];
  beforeEach(() => {
    ws = tempWorkspace();
    ids = insertSyntheticImages(ws.db, ['a', 'b'], 50);
    rebalanceSplits(ws.db);
  });
  afterEach(() => ws.dispose());

  it('stay where they were put through relabels, exclusions, new images and new ratios', () => {
    const chosen = ids.slice(0, 6);
    expect(moveImagesToSplit(ws.db, chosen, 'val')).toEqual({ changed: 6 });
    relabelImages(ws.db, chosen.slice(0, 3), liveClassByName(ws.db, 'b')!.id);
    setLabelState(ws.db, ids.slice(10, 20), 'excluded');
    insertSyntheticImages(ws.db, ['a', 'b'], 30, { tag: 'later' });
    rebalanceSplits(ws.db);
    setSplitRatios(ws.db, { train: 0.5, val: 0.1, test: 0.4, seed: 9 });
    expect(splitsOf(ws, chosen)).toEqual(Array(6).fill('val'));
    expect(Object.values(splitOf(ws, chosen)).every((s) => s.pinned)).toBe(true);
  });

  it('take no place in the quotas: the ratios divide the other images of the class exactly', () => {
    const a = liveClassByName(ws.db, 'a')!.id;
    const classA = listImages(ws.db, { classId: a, limit: 100 }).images.map((i) => i.id);
    moveImagesToSplit(ws.db, classA.slice(0, 10), 'test');
    const rest = classA.slice(10);
    const counts = splitsOf(ws, rest).reduce<Record<string, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {});
    // 40 free images at 80/10/10.
    expect(counts).toEqual({ train: 32, val: 4, test: 4 });
    expect(classCounts(ws.db).classes.find((c) => c.name === 'a')).toMatchObject({ test: 14, val: 4, train: 32 });
  });

  it('is one label edit that undo reverts (split and pinning) and redo repeats', () => {
    const chosen = ids.slice(0, 4);
    const before = splitOf(ws, ids);
    moveImagesToSplit(ws.db, chosen, 'test');
    expect(labelHistory(ws.db).edits[0]).toMatchObject({ kind: 'split', summary: 'Moved 4 images to test' });
    undoLabelEdit(ws.db);
    expect(splitOf(ws, ids)).toEqual(before);
    redoLabelEdit(ws.db);
    expect(splitsOf(ws, chosen)).toEqual(Array(4).fill('test'));
  });

  it('gives images back to the ratios with null, which places them as if never moved', () => {
    const before = splitOf(ws, ids);
    moveImagesToSplit(ws.db, ids.slice(0, 8), 'val');
    expect(moveImagesToSplit(ws.db, ids.slice(0, 8), null)).toEqual({ changed: 8 });
    expect(labelHistory(ws.db).edits[0].summary).toBe('Gave 8 images back to the split ratios');
    expect(splitOf(ws, ids)).toEqual(before);
  });

  it('records no edit when nothing changes', () => {
    const edits = labelHistory(ws.db).edits.length;
    const train = ids.filter((id) => splitOf(ws, [id])[id]!.split === 'train').slice(0, 3);
    moveImagesToSplit(ws.db, train, 'train');
    expect(labelHistory(ws.db).edits).toHaveLength(edits + 1);
    expect(moveImagesToSplit(ws.db, train, 'train')).toEqual({ changed: 0 });
    expect(labelHistory(ws.db).edits).toHaveLength(edits + 1);
  });

  it('never changes a locked test split: moves into or out of it, and their undo, are refused', () => {
    const test = ids.filter((id) => splitOf(ws, [id])[id]!.split === 'test');
    const train = ids.filter((id) => splitOf(ws, [id])[id]!.split === 'train');
    moveImagesToSplit(ws.db, train.slice(0, 2), 'test');
    lockTestSplit(ws.db, true);
    const error = (() => {
      try {
        moveImagesToSplit(ws.db, train.slice(5, 7), 'test');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('conflict');
    expect((error as StudioError).message).toMatch(/test split is locked: moving 2 images into it would change it/);
    expect(() => moveImagesToSplit(ws.db, test.slice(0, 1), 'val')).toThrow(/moving 1 image out of it/);
    // Undoing the earlier move into test would take two images out of it.
    expect(() => undoLabelEdit(ws.db)).toThrow(/test split is locked: undoing "Moved 2 images to test"/);
    expect(splitsOf(ws, train.slice(0, 2))).toEqual(['test', 'test']);
    // Train <-> val is free under the lock.
    expect(moveImagesToSplit(ws.db, train.slice(5, 7), 'val')).toEqual({ changed: 2 });
  });

  it('names a missing image', () => {
    expect(() => moveImagesToSplit(ws.db, [ids[0]!, 99_999], 'val')).toThrow(/imageIds: no image with id 99999/);
  });
});

describe('a folder imported as a split', () => {
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

  function copyClasses(name: string, offset: number, perClass: number): string {
    const root = path.join(folders, name);
    for (const label of ['cat', 'dog']) {
      mkdirSync(path.join(root, label), { recursive: true });
      for (const file of readdirSync(path.join(cifar, label)).sort().slice(offset, offset + perClass)) {
        copyFileSync(path.join(cifar, label, file), path.join(root, label, file));
      }
    }
    return root;
  }

  it('puts every new image in that split, pinned, and the ratios never move them', async () => {
    const train = await importImages(ws.db, { folder: copyClasses('train', 0, 30), workspace: ws.dir });
    const val = await importImages(ws.db, { folder: copyClasses('val', 30, 10), workspace: ws.dir, split: 'val' });
    expect(val).toMatchObject({ imported: 20, split: 'val' });
    expect(train.split).toBeNull();
    expect(countImages(ws.db, { importId: val.importId })).toBe(20);
    expect(countImages(ws.db, { importId: val.importId, split: 'val' })).toBe(20);
    setSplitRatios(ws.db, { train: 0.6, val: 0.2, test: 0.2, seed: 3 });
    lockTestSplit(ws.db, true);
    lockTestSplit(ws.db, false);
    expect(countImages(ws.db, { importId: val.importId, split: 'val' })).toBe(20);
    const page = listImages(ws.db, { importId: val.importId, limit: 100 }).images;
    expect(page.every((image) => image.splitPinned && image.importId === val.importId)).toBe(true);
    // The 60 images of the first import are divided by the ratios, as if the val folder were not there.
    expect(countImages(ws.db, { importId: train.importId, split: 'train' })).toBe(36);
  });

  it('keeps the split an image already had when the folder repeats it', async () => {
    const again = await importImages(ws.db, { folder: copyClasses('test-overlap', 25, 10), workspace: ws.dir, split: 'test' });
    // Files 25..29 of each class came with the first import; 30..34 with the val folder.
    expect(again).toMatchObject({ imported: 0, duplicates: 20 });
    expect(countImages(ws.db, { importId: again.importId })).toBe(0);
    const val = listImports(ws.db).find((record) => record.split === 'val')!;
    expect(countImages(ws.db, { importId: val.id, split: 'val' })).toBe(20);
  });

  it('is refused as the test split while the test split is locked, before anything is written', async () => {
    lockTestSplit(ws.db, true);
    const before = listImports(ws.db).length;
    await expect(importImages(ws.db, { folder: copyClasses('test', 40, 5), workspace: ws.dir, split: 'test' })).rejects.toThrow(
      /test split is locked: importing a folder as the test split would add to it/,
    );
    expect(listImports(ws.db)).toHaveLength(before);
    lockTestSplit(ws.db, false);
    const test = await importImages(ws.db, { folder: path.join(folders, 'test'), workspace: ws.dir, split: 'test' });
    expect(countImages(ws.db, { importId: test.importId, split: 'test' })).toBe(10);
  });

  it('keeps each report, so a past import can be read again', () => {
    const imports = listImports(ws.db);
    expect(imports.map((record) => [record.split, record.hasReport])).toEqual([['test', true], ['test', true], ['val', true], [null, true]]);
    const newest = imports[0];
    expect(newest).toMatchObject({ images: 10 });
    const { record, report } = importReport(ws.db, newest!.id);
    expect(record).toEqual(newest);
    expect(report).toMatchObject({ importId: newest!.id, imported: 10, split: 'test', folder: path.join(folders, 'test') });
    expect(() => importReport(ws.db, 9999)).toThrow(/importId: no import with id 9999/);
  });
});

describe('the grid search', () => {
  let ws: TempWorkspace;
  beforeAll(() => {
    ws = tempWorkspace();
    insertSyntheticImages(ws.db, ['roses', 'tulips'], 5);
  });
  afterAll(() => ws.dispose());

  it.each([
    ['a folder name', 'roses', 5],
    ['part of a path across a folder and a name', 'lips/tul', 5],
    ['a file name', 'tulips_00003', 1],
    ['two characters of a folder', 'ro', 5],
  ])('matches %s', (_what, search, count) => {
    expect(countImages(ws.db, { search })).toBe(count);
  });
});
