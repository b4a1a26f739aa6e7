import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR, fashionMnistClasses } from '../ml/data/idx.js';
import { importImages } from '../electron/node/import/importer.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { writeFashionMnistFolders } from './fashion-mnist-folders.js';

describe.runIf(existsSync(FASHION_MNIST_DIR))('Fashion-MNIST as a user folder', () => {
  it('writes a slice as class folders of PNGs that import as grey images in ten classes', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'fashion-'));
    try {
      const written = await writeFashionMnistFolders({ out: path.join(root, 'data'), splits: ['test'], perClass: 12 });
      expect(written).toBe(120);
      const db = openWorkspaceDb(path.join(root, 'workspace'));
      const report = await importImages(db, { folder: path.join(root, 'data'), workspace: path.join(root, 'workspace') });
      expect(report.imported + report.duplicates).toBe(120);
      expect(Object.keys(report.classes).sort()).toEqual([...fashionMnistClasses].sort());
      const shapes = db.prepare('SELECT DISTINCT width, height, channels FROM images').all();
      expect(shapes).toEqual([{ width: 28, height: 28, channels: 1 }]);
      db.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
