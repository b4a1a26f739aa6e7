/** The importer against a folder of every kind of bad file, beside good images with awkward names. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../common/contract/dataset.js';
import { runCli } from '../cli/main.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { buildHostileFolder, type HostileFolder } from './testing/hostileFolder.js';

let folder: HostileFolder;
let workspace: string;
let report: ImportReport;
let exitCode: number;
let db: Db;

beforeAll(async () => {
  const root = tempDir('studio-hostile-');
  folder = await buildHostileFolder(path.join(root, 'images'));
  workspace = path.join(root, 'workspace');
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  exitCode = await runCli(['import', folder.root, '--workspace', workspace, '--json'], { stdout, stderr: new PassThrough(), isTTY: false });
  report = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ImportReport;
  db = openWorkspaceDb(workspace);
});

afterAll(() => {
  db?.close();
  rmSync(path.dirname(workspace), { recursive: true, force: true });
});

describe('importing a folder of hostile files', () => {
  it('exits 0 and prints one JSON report', () => {
    expect(exitCode).toBe(0);
    expect(report).toMatchObject({ cancelled: false });
    expect(typeof report.seconds).toBe('number');
  });

  it('imports every good image under the right class', () => {
    const rows = db.prepare('SELECT s.path, c.name FROM image_sources s JOIN images i ON i.id = s.image_id LEFT JOIN classes c ON c.id = i.class_id').all() as {
      path: string;
      name: string | null;
    }[];
    const byPath = new Map(rows.map((r) => [path.relative(folder.root, r.path), r.name]));
    for (const [rel, cls] of folder.good) expect([rel, byPath.get(rel)]).toEqual([rel, cls]);
    expect(report.imported).toBe(folder.good.size);
  });

  it('names every bad file with its reason, and nothing else', () => {
    const reasons = new Map(report.skipped.map((s) => [path.relative(folder.root, s.path), s.reason]));
    for (const [rel, pattern] of folder.bad) expect([rel, reasons.get(rel)]).toEqual([rel, expect.stringMatching(pattern)]);
    expect([...reasons.keys()].sort()).toEqual([...folder.bad.keys()].sort());
  });

  it('stores a duplicate once and reports the class conflict', () => {
    const [[copy, original]] = [...folder.duplicates];
    expect(report.duplicates).toBe(1);
    expect(report.conflicts).toEqual([
      { path: path.join(folder.root, copy), sameAs: path.join(folder.root, original), conflict: { label: 'dog', keptLabel: 'cat' } },
    ]);
  });

  it('decodes every supported kind: EXIF rotation, alpha, grey, BMP', () => {
    const image = (name: string) =>
      db.prepare('SELECT i.*, t.channels AS cache_channels FROM images i JOIN training_cache t ON t.image_id = i.id WHERE file_name = ?').get(name) as Record<string, number | string>;
    expect(image('rotated.jpg')).toMatchObject({ width: 60, height: 120 });
    expect(image('rgba.png')).toMatchObject({ has_alpha: 1, channels: 4, cache_channels: 3 });
    expect(image('grey.png')).toMatchObject({ channels: 1, cache_channels: 1 });
    expect(image('paint.bmp')).toMatchObject({ format: 'bmp', width: 20, height: 10 });
    expect(image('palette.bmp')).toMatchObject({ format: 'bmp', width: 9, height: 7 });
    expect(image('first-frame.gif')).toMatchObject({ format: 'gif', width: 30, height: 20 });
  });

  it('leaves out the hidden Finder file unread, and counts it', () => {
    expect(report.hidden).toEqual({ count: 1, examples: [path.join(folder.root, '.DS_Store')] });
  });

  it('leaves a database that passes the integrity check', () => {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
