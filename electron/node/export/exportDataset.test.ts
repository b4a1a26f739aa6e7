/** Exports from sources that changed into something else since the import. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importImages } from '../import/importer.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { exportDataset } from './exportDataset.js';

let root: string;
let db: Db;

beforeAll(async () => {
  root = tempDir('studio-export-');
  const folder = path.join(root, 'images');
  mkdirSync(path.join(folder, 'cat'), { recursive: true });
  for (const [name, red] of [['kept.png', 10], ['now-a-fifo.png', 250]] as const) {
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: red, g: 90, b: 30 } } })
      .png()
      .toFile(path.join(folder, 'cat', name));
  }
  const workspace = path.join(root, 'ws');
  db = openWorkspaceDb(workspace);
  await importImages(db, { folder, workspace });
});

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('dataset export', () => {
  it.runIf(process.platform !== 'win32')('skips a source that has become a FIFO, naming why, instead of waiting on it', { timeout: 15_000 }, async () => {
    const fifo = path.join(root, 'images', 'cat', 'now-a-fifo.png');
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    const destination = path.join(root, 'out');
    const report = await exportDataset(db, { destination, format: 'folders' });
    expect(report.exported).toBe(1);
    expect(report.skipped).toEqual([{ path: fifo, reason: 'the source is a named pipe (FIFO) now, not an image file' }]);
    expect(readdirSync(path.join(destination, 'cat'))).toEqual(['kept.png']);
  });
});
