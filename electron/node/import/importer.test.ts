import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../common/contract/dataset.js';
import { runCli } from '../cli/main.js';
import { integrityCheck, openWorkspaceDb } from '../storage/db.js';
import { classCounts, listImages } from '../storage/images.js';
import { cachedPixels } from '../storage/trainingCache.js';
import { tempDir, tempWorkspace, type TempWorkspace } from '../storage/testing/fixtures.js';
import { importImages } from './importer.js';
import { requireFolder } from './walk.js';
import { cifar } from './testing/hostileFolder.js';

function completeness(ws: TempWorkspace) {
  return ws.db
    .prepare(
      `SELECT count(*) AS images, count(DISTINCT content_hash) AS distinct_hashes,
         (SELECT count(*) FROM thumbnails) AS thumbnails,
         (SELECT count(*) FROM training_cache WHERE size = 32) AS cached,
         (SELECT count(*) FROM images_search) AS searchable
       FROM images`,
    )
    .get() as { images: number; distinct_hashes: number; thumbnails: number; cached: number; searchable: number };
}

describe('importing cifar10-mini', () => {
  let ws: TempWorkspace;
  beforeAll(() => {
    ws = tempWorkspace();
  });
  afterAll(() => ws.dispose());

  it('imports 1,000 images in 10 classes, each with its thumbnail and training pixels', async () => {
    const report = await importImages(ws.db, { folder: cifar, workspace: ws.dir });
    expect(report).toMatchObject({ imported: 1000, duplicates: 0, skipped: [], cancelled: false });
    expect(Object.keys(report.classes)).toHaveLength(10);
    expect(Object.values(report.classes)).toEqual(Array(10).fill(100));
    expect(completeness(ws)).toEqual({ images: 1000, distinct_hashes: 1000, thumbnails: 1000, cached: 1000, searchable: 1000 });
    expect(classCounts(ws.db).all).toMatchObject({ train: 800, val: 100, test: 100 });
    expect(integrityCheck(ws.db)).toBe('ok');
  });

  it('caches exactly the decoded pixels, so training never decodes the JPEG again', async () => {
    const image = listImages(ws.db, { search: '0042', limit: 1 }).images[0];
    const decoded = await sharp(readFileSync(image.sourcePath)).raw().toBuffer();
    const cached = cachedPixels(ws.db, image.id, 32)!;
    expect(cached.channels).toBe(3);
    expect(Buffer.compare(cached.data, decoded)).toBe(0);
  });

  it('adds nothing when the same folder is imported again', async () => {
    const report = await importImages(ws.db, { folder: cifar, workspace: ws.dir });
    expect(report).toMatchObject({ imported: 0, unchanged: 1000, duplicates: 0, skipped: [] });
    expect(completeness(ws).images).toBe(1000);
  });
});

describe('import control', () => {
  it('stops when cancelled, keeps only complete images, and a rerun completes the import', async () => {
    const ws = tempWorkspace();
    try {
      const abort = new AbortController();
      const report = await importImages(ws.db, {
        folder: cifar,
        workspace: ws.dir,
        signal: abort.signal,
        batchSize: 20,
        progressIntervalMs: 5,
        onProgress: (p) => {
          if (p.imported >= 100) abort.abort();
        },
      });
      expect(report.cancelled).toBe(true);
      expect(report.imported).toBeGreaterThanOrEqual(100);
      expect(report.imported).toBeLessThan(1000);
      const partial = completeness(ws);
      expect(partial.images).toBe(report.imported);
      expect(partial.thumbnails).toBe(partial.images);
      expect(partial.cached).toBe(partial.images);
      const rerun = await importImages(ws.db, { folder: cifar, workspace: ws.dir });
      expect(rerun.imported + rerun.unchanged).toBe(1000);
      expect(completeness(ws)).toMatchObject({ images: 1000, distinct_hashes: 1000, thumbnails: 1000 });
    } finally {
      ws.dispose();
    }
  });

  it('counts each new image once when two imports of the same images run at once', async () => {
    const ws = tempWorkspace();
    const other = openWorkspaceDb(ws.dir);
    try {
      // Two connections, as two processes would have: both decode the same files before either
      // commits, so one insert of each image is ignored; only the one that landed counts.
      const [a, b] = await Promise.all([
        importImages(ws.db, { folder: cifar, workspace: ws.dir, batchSize: 64 }),
        importImages(other, { folder: cifar, workspace: ws.dir, batchSize: 64 }),
      ]);
      const landed = (importId: number) => (ws.db.prepare('SELECT count(*) AS n FROM images WHERE import_id = ?').get(importId) as { n: number }).n;
      expect(a.imported + b.imported).toBe(1000);
      expect([a.imported, b.imported]).toEqual([landed(a.importId), landed(b.importId)]);
      // The other's images are the same files, already there: unchanged, not duplicates.
      expect([a.imported + a.unchanged, b.imported + b.unchanged]).toEqual([1000, 1000]);
      expect(a.duplicates + b.duplicates).toBe(0);
      expect(completeness(ws)).toMatchObject({ images: 1000, distinct_hashes: 1000, thumbnails: 1000, cached: 1000 });
    } finally {
      other.close();
      ws.dispose();
    }
  });

  it("keeps a long-lived connection's integrity check sound after another connection imports", async () => {
    const ws = tempWorkspace();
    const other = openWorkspaceDb(ws.dir);
    try {
      await importImages(other, { folder: path.join(cifar, 'cat'), workspace: ws.dir });
      // The studio's connection searches file names, then a CLI import adds to the search index.
      expect(ws.db.prepare("SELECT count(*) AS n FROM images_search WHERE images_search MATCH 'jpg'").get()).toEqual({ n: 100 });
      await importImages(other, { folder: path.join(cifar, 'dog'), workspace: ws.dir });
      expect(integrityCheck(ws.db)).toBe('ok');
      expect(ws.db.prepare("SELECT count(*) AS n FROM images_search WHERE images_search MATCH 'jpg'").get()).toEqual({ n: 200 });
    } finally {
      other.close();
      ws.dispose();
    }
  });

  it('reports progress: files seen, processed, imported and a rate', async () => {
    const ws = tempWorkspace();
    try {
      const seen: { seen: number; imported: number; imagesPerSecond: number; walkDone: boolean }[] = [];
      await importImages(ws.db, { folder: path.join(cifar, 'cat'), workspace: ws.dir, onProgress: (p) => seen.push(p) });
      const last = seen[seen.length - 1];
      expect(last).toMatchObject({ seen: 100, processed: 100, imported: 100, walkDone: true });
      expect(last.imagesPerSecond).toBeGreaterThan(0);
    } finally {
      ws.dispose();
    }
  });

  it('imports a CSV of path,label, naming the line of a missing file', async () => {
    const ws = tempWorkspace();
    const dir = tempDir();
    try {
      const csv = path.join(dir, 'labels.csv');
      const rel = (cls: string, n: number) => path.relative(dir, path.join(cifar, cls, `000${n}.jpg`));
      writeFileSync(csv, ['path,label', `${rel('cat', 1)},feline`, `"${rel('dog', 2)}",canine`, `${rel('dog', 3)},`, 'nowhere.jpg,feline'].join('\n'));
      const report = await importImages(ws.db, { folder: dir, csv, workspace: ws.dir });
      expect(report.imported).toBe(3);
      expect(report.classes).toEqual({ canine: 1, feline: 1, '(unlabelled)': 1 });
      expect(report.skipped).toEqual([{ path: path.join(dir, 'nowhere.jpg'), reason: expect.stringMatching(/missing .*line 5 of .*labels\.csv/) }]);
    } finally {
      ws.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the folder to import', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(path.join(dir, 'list.txt'), 'a file');
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'gone'), path.join(dir, 'dangling'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['missing', 'not_found', /^folder: .*missing does not exist \(check the path\)$/],
    ['dangling', 'not_found', /^folder: .*dangling is a symbolic link to .*gone, which does not exist$/],
    ['list.txt', 'invalid_argument', /^folder: .*list\.txt is a file, not a folder/],
  ])('%s: refused with %s and a message that says what is wrong', async (name, code, message) => {
    const error = await requireFolder(path.join(dir, name)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code, field: 'folder', message: expect.stringMatching(message) });
    expect((error as Error).message).not.toMatch(/removed during the import/);
  });

  it('accepts a folder', async () => {
    await expect(requireFolder(path.join(dir, 'real'))).resolves.toBeUndefined();
  });
});

describe('symbolic links and hidden files', () => {
  let dir: string;
  let images: string;
  let outside: string;
  beforeAll(() => {
    dir = tempDir();
    images = path.join(dir, 'images');
    outside = path.join(dir, 'elsewhere');
    const put = (file: string, from: string) => {
      mkdirSync(path.dirname(file), { recursive: true });
      copyFileSync(path.join(cifar, from), file);
    };
    put(path.join(images, 'cat', 'a.jpg'), 'cat/0001.jpg');
    put(path.join(images, 'cat', 'b.jpg'), 'cat/0002.jpg');
    put(path.join(images, 'dog', 'c.jpg'), 'dog/0001.jpg');
    put(path.join(outside, 'private', 'holiday.jpg'), 'ship/0001.jpg');
    put(path.join(outside, 'portrait.jpg'), 'frog/0001.jpg');
    put(path.join(images, '.git', 'objects', 'blob.jpg'), 'bird/0001.jpg');
    writeFileSync(path.join(images, 'cat', '.DS_Store'), 'Finder litter');
    writeFileSync(path.join(images, 'Thumbs.db'), 'Explorer litter');
    // Inside: a second name for a.jpg, filed as a dog. Outside: a folder, a file, and the system's /etc.
    symlinkSync('../cat/a.jpg', path.join(images, 'dog', 'd.jpg'));
    symlinkSync(path.join(outside, 'private'), path.join(images, 'holidays'));
    symlinkSync(path.join(outside, 'portrait.jpg'), path.join(images, 'cat', 'portrait.jpg'));
    symlinkSync('/etc', path.join(images, 'system'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cliImport(workspace: string, json: boolean): Promise<string> {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const code = await runCli(['import', images, '--workspace', workspace, ...(json ? ['--json'] : [])], { stdout, stderr: new PassThrough(), isTTY: false });
    expect(code).toBe(0);
    return Buffer.concat(chunks).toString('utf8');
  }

  it('follows links only where they lead inside the folder, lists the others as skipped, and counts hidden entries', async () => {
    const workspace = path.join(dir, 'workspace');
    const report = JSON.parse(await cliImport(workspace, true)) as ImportReport;
    expect(report.imported).toBe(3);
    expect(report.duplicateFiles).toEqual([expect.objectContaining({ path: path.join(images, 'dog', 'd.jpg'), sameAs: path.join(images, 'cat', 'a.jpg') })]);
    const notFollowed = / outside the imported folder: not followed$/;
    expect(report.skipped.sort((x, y) => x.path.localeCompare(y.path))).toEqual([
      { path: path.join(images, 'cat', 'portrait.jpg'), reason: expect.stringMatching(notFollowed) },
      { path: path.join(images, 'holidays'), reason: expect.stringMatching(notFollowed) },
      { path: path.join(images, 'system'), reason: expect.stringMatching(notFollowed) },
    ]);
    expect(report.links).toEqual({ policy: 'inside-folder', followed: 1, outside: 3 });
    expect(report.hidden.count).toBe(3);
    expect(report.hidden.examples.map((p) => path.relative(images, p)).sort()).toEqual(['.git', 'Thumbs.db', path.join('cat', '.DS_Store')]);
    // Nothing from outside was stored.
    const db = openWorkspaceDb(workspace);
    try {
      const sources = (db.prepare('SELECT path FROM image_sources').all() as { path: string }[]).map((r) => r.path);
      expect(sources.every((p) => p.startsWith(images + path.sep))).toBe(true);
      expect(sources.some((p) => p.includes('holidays') || p.includes('portrait'))).toBe(false);
    } finally {
      db.close();
    }

    const human = await cliImport(path.join(dir, 'workspace2'), false);
    expect(human).toContain(`Symbolic links: followed only where they lead inside ${images} (1 followed, 3 leading outside not followed, listed as skipped)`);
    expect(human).toMatch(/3 hidden entries left out \(names starting with a dot, or system files: .*\.git.*\)/);
  });
});
