/**
 * Train/val/test assignment. Within each class (a stratum; unlabelled images form one too), images are
 * ordered by a key derived from their content hash and the seed, and the first round(n * test) go to
 * test, the next round(n * val) to val, the rest to train. So the split is exactly stratified, the same
 * on every machine, and adding one image moves at most one other across each boundary.
 * A locked test split is a frozen set: nothing enters or leaves it, the rest is divided train/val.
 * Excluded images keep whatever split they had and take no place in the quotas.
 * A split the user chose (a folder imported as the validation set, an image moved by hand) is pinned:
 * the image keeps it and takes no place in the quotas either; the ratios divide the others.
 */
import { createHash } from 'node:crypto';
import type { SplitName, SplitSettings } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import type { Db } from './db.js';
import { readSetting, writeSetting } from './settings.js';
import { statement } from './statements.js';

export const defaultSplitSettings: SplitSettings = { train: 0.8, val: 0.1, test: 0.1, seed: 1, testLocked: false };

export function splitSettings(db: Db): SplitSettings {
  return { ...defaultSplitSettings, ...readSetting<Partial<SplitSettings>>(db, 'splits', {}) };
}

/** A number in [0, 1) fixed by the seed and the content, independent of file names and import order. */
export function splitKey(seed: number, contentHash: string): number {
  return createHash('sha256').update(`${seed}:${contentHash}`).digest().readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The split an image gets when it is inserted, before its class is rebalanced: a threshold on its key,
 * so that an import killed before rebalancing still leaves every image with a sensible split.
 */
export function provisionalSplit(settings: SplitSettings, contentHash: string): SplitName {
  const key = splitKey(settings.seed, contentHash);
  if (settings.testLocked) {
    const trainVal = settings.train + settings.val;
    return trainVal > 0 && key < settings.val / trainVal ? 'val' : 'train';
  }
  if (key < settings.test) return 'test';
  if (key < settings.test + settings.val) return 'val';
  return 'train';
}

/** The images of a class that the ratios place: not excluded, split not chosen by the user. */
export const stratumSql = "SELECT id, content_hash, split FROM images WHERE class_id IS ? AND state != 'excluded' AND split_pinned IS NULL";

interface StratumRow {
  id: number;
  content_hash: string;
  split: SplitName;
}

function rebalanceStratum(db: Db, settings: SplitSettings, classId: number | null): number {
  const rows = statement<[number | null], StratumRow>(
    db,
    stratumSql,
  ).all(classId);
  const keyed = rows.map((row) => ({ row, key: splitKey(settings.seed, row.content_hash) }));
  keyed.sort((a, b) => a.key - b.key || (a.row.content_hash < b.row.content_hash ? -1 : 1));
  const wanted = new Map<number, SplitName>();
  if (settings.testLocked) {
    const open = keyed.filter(({ row }) => row.split !== 'test');
    const trainVal = settings.train + settings.val;
    const nVal = trainVal > 0 ? Math.round((open.length * settings.val) / trainVal) : 0;
    open.forEach(({ row }, index) => wanted.set(row.id, index < nVal ? 'val' : 'train'));
  } else {
    const nTest = Math.min(keyed.length, Math.round(keyed.length * settings.test));
    const nVal = Math.min(keyed.length - nTest, Math.round(keyed.length * settings.val));
    keyed.forEach(({ row }, index) => wanted.set(row.id, index < nTest ? 'test' : index < nTest + nVal ? 'val' : 'train'));
  }
  const update = statement(db, 'UPDATE images SET split = ? WHERE id = ?');
  let moved = 0;
  for (const row of rows) {
    const split = wanted.get(row.id);
    if (split && split !== row.split) {
      update.run(split, row.id);
      moved++;
    }
  }
  statement(db, 'UPDATE images SET provisional_split = NULL WHERE class_id IS ? AND provisional_split = 1').run(classId);
  return moved;
}

/** The classes (null: unlabelled) holding an image whose split is still provisional (an index scan). */
export const provisionalStrataSql = 'SELECT DISTINCT class_id FROM images WHERE provisional_split = 1';

export function provisionalStrata(db: Db): (number | null)[] {
  return statement<[], { class_id: number | null }>(db, provisionalStrataSql).all().map((r) => r.class_id);
}

/** Reassigns splits within the given classes (null: the unlabelled images), or all. Returns images moved. */
export function rebalanceSplits(db: Db, classIds: Iterable<number | null> | 'all' = 'all'): number {
  const settings = splitSettings(db);
  const strata: (number | null)[] =
    classIds === 'all'
      ? statement<[], { class_id: number | null }>(db, 'SELECT DISTINCT class_id FROM images').all().map((r) => r.class_id)
      : [...new Set(classIds)];
  return db.transaction(() => strata.reduce<number>((moved, classId) => moved + rebalanceStratum(db, settings, classId), 0))();
}

export function setSplitRatios(
  db: Db,
  ratios: { train: number; val: number; test: number; seed?: number },
): SplitSettings & { moved: number } {
  const sum = ratios.train + ratios.val + ratios.test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw new StudioError('invalid_argument', `train + val + test must add up to 1 (they add up to ${sum.toFixed(4)})`, {
      field: 'train',
    });
  }
  return db.transaction(() => {
    const current = splitSettings(db);
    if (current.testLocked && Math.abs(ratios.test - current.test) > 1e-9) {
      throw new StudioError('conflict', 'The test split is locked: unlock it before changing its ratio', { field: 'test' });
    }
    const next: SplitSettings = { ...current, train: ratios.train, val: ratios.val, test: ratios.test, seed: ratios.seed ?? current.seed };
    if (current.testLocked && next.seed !== current.seed) {
      throw new StudioError('conflict', 'The test split is locked: unlock it before changing the seed', { field: 'seed' });
    }
    writeSetting(db, 'splits', next);
    return { ...next, moved: rebalanceSplits(db, 'all') };
  }).immediate();
}

/** Refuses a change that would put images into, or take them out of, a locked test split. */
export function refuseIfTestLocked(db: Db, what: string, images: number): void {
  if (images > 0 && splitSettings(db).testLocked) {
    throw new StudioError('conflict', `The test split is locked: ${what}. Unlock it in the split settings first`, { field: 'split' });
  }
}

export function lockTestSplit(db: Db, locked: boolean): SplitSettings {
  return db.transaction(() => {
    const next = { ...splitSettings(db), testLocked: locked };
    writeSetting(db, 'splits', next);
    // Unlocking hands the test split back to the ratios.
    if (!locked) rebalanceSplits(db, 'all');
    return next;
  }).immediate();
}
