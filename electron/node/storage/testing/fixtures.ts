/** Test helpers: throw-away workspaces and synthetic image rows (no files behind them). */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureClass } from '../classes.js';
import { openWorkspaceDb, type Db, type OpenOptions } from '../db.js';
import { insertImage } from '../images.js';
import type { SplitName } from '../../../common/contract/dataset.js';

export interface TempWorkspace {
  dir: string;
  db: Db;
  /** Closes the database and deletes the folder. */
  dispose(): void;
}

export function tempDir(prefix = 'studio-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function tempWorkspace(options: OpenOptions = {}): TempWorkspace {
  const dir = tempDir();
  const db = openWorkspaceDb(dir, options);
  return {
    dir,
    db,
    dispose() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function fakeHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** Inserts `perClass` rows in each named class (null: unlabelled), in one transaction; returns their ids. */
export function insertSyntheticImages(
  db: Db,
  classes: (string | null)[],
  perClass: number,
  options: { split?: SplitName; tag?: string } = {},
): number[] {
  const ids: number[] = [];
  db.transaction(() => {
    for (const name of classes) {
      const classId = name === null ? null : ensureClass(db, name);
      for (let i = 0; i < perClass; i++) {
        const file = `${name ?? 'root'}_${String(i).padStart(5, '0')}.jpg`;
        const id = insertImage(db, {
          contentHash: fakeHash(`${options.tag ?? ''}/${name}/${i}`),
          sourcePath: `/data/${name ?? ''}/${file}`,
          fileName: file,
          format: 'jpeg',
          width: 32,
          height: 32,
          channels: 3,
          hasAlpha: false,
          bytes: 1000 + i,
          importedAt: 1_700_000_000_000 + i,
          classId,
          split: options.split ?? 'train',
        });
        if (id !== null) ids.push(id);
      }
    }
  })();
  return ids;
}
