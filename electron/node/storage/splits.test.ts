import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import { liveClassByName } from './classes.js';
import { classCounts } from './images.js';
import { relabelImages, setLabelState } from './labels.js';
import { lockTestSplit, rebalanceSplits, setSplitRatios, splitKey, splitSettings } from './splits.js';
import { insertSyntheticImages, tempWorkspace, type TempWorkspace } from './testing/fixtures.js';

let ws: TempWorkspace;
beforeEach(() => {
  ws = tempWorkspace();
});
afterEach(() => ws.dispose());

function splitsByHash(db: TempWorkspace['db']): Map<string, SplitName> {
  const rows = db.prepare('SELECT content_hash, split FROM images').all() as { content_hash: string; split: SplitName }[];
  return new Map(rows.map((r) => [r.content_hash, r.split]));
}

describe('splits', () => {
  it('divides every class exactly by the ratios (stratified)', () => {
    insertSyntheticImages(ws.db, ['a', 'b', 'c'], 50);
    insertSyntheticImages(ws.db, ['small'], 7, { tag: 'small' });
    rebalanceSplits(ws.db);
    for (const c of classCounts(ws.db).classes) {
      const n = c.total;
      expect([c.name, c.test, c.val, c.train]).toEqual([c.name, Math.round(n * 0.1), Math.round(n * 0.1), n - 2 * Math.round(n * 0.1)]);
    }
  });

  it('depends on content and seed only, not on insert order', () => {
    const other = tempWorkspace();
    try {
      insertSyntheticImages(ws.db, ['a', 'b'], 40);
      insertSyntheticImages(other.db, ['b', 'a'], 40); // same content, other order and ids
      rebalanceSplits(ws.db);
      rebalanceSplits(other.db);
      expect(splitsByHash(other.db)).toEqual(splitsByHash(ws.db));
      setSplitRatios(ws.db, { train: 0.8, val: 0.1, test: 0.1, seed: 2 });
      expect(splitsByHash(other.db)).not.toEqual(splitsByHash(ws.db));
    } finally {
      other.dispose();
    }
  });

  it('moves at most one image across each boundary when one image is added', () => {
    insertSyntheticImages(ws.db, ['a'], 99);
    rebalanceSplits(ws.db);
    const before = splitsByHash(ws.db);
    insertSyntheticImages(ws.db, ['a'], 1, { tag: 'new' });
    rebalanceSplits(ws.db);
    const after = splitsByHash(ws.db);
    const moved = [...before].filter(([hash, split]) => after.get(hash) !== split);
    expect(moved.length).toBeLessThanOrEqual(2);
  });

  it('sets new ratios, refusing ratios that do not add up to 1', () => {
    insertSyntheticImages(ws.db, ['a'], 100);
    const result = setSplitRatios(ws.db, { train: 0.6, val: 0.2, test: 0.2 });
    expect(result.moved).toBeGreaterThan(0);
    expect(classCounts(ws.db).classes[0]).toMatchObject({ train: 60, val: 20, test: 20 });
    expect(() => setSplitRatios(ws.db, { train: 0.6, val: 0.2, test: 0.3 })).toThrow(/add up to 1 \(they add up to 1.1000\)/);
  });

  it('keeps a locked test split fixed through relabels, imports and ratio changes', () => {
    const ids = insertSyntheticImages(ws.db, ['a', 'b'], 50);
    rebalanceSplits(ws.db);
    lockTestSplit(ws.db, true);
    const testBefore = [...splitsByHash(ws.db)].filter(([, s]) => s === 'test').map(([h]) => h).sort();
    // relabel test images and train images across classes
    relabelImages(ws.db, ids.slice(0, 25), liveClassByName(ws.db, 'b')!.id);
    setLabelState(ws.db, ids.slice(60, 70), 'excluded');
    insertSyntheticImages(ws.db, ['a', 'b', 'c'], 30, { tag: 'later' });
    rebalanceSplits(ws.db);
    setSplitRatios(ws.db, { train: 0.7, val: 0.2, test: 0.1 });
    const testAfter = [...splitsByHash(ws.db)].filter(([, s]) => s === 'test').map(([h]) => h).sort();
    expect(testAfter).toEqual(testBefore);
    expect(() => setSplitRatios(ws.db, { train: 0.7, val: 0.1, test: 0.2 })).toThrow(StudioError);
    expect(splitSettings(ws.db).testLocked).toBe(true);
    lockTestSplit(ws.db, false);
    expect(splitSettings(ws.db).testLocked).toBe(false);
  });

  it('gives each content a key in [0, 1) that the seed changes', () => {
    const key = splitKey(1, 'abc');
    expect(key).toBeGreaterThanOrEqual(0);
    expect(key).toBeLessThan(1);
    expect(splitKey(1, 'abc')).toBe(key);
    expect(splitKey(2, 'abc')).not.toBe(key);
  });
});
