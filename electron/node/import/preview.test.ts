/** The inspector's image preview: the original re-encoded within a size, or the thumbnail when the file is gone. */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { importImages } from './importer.js';
import { imagePreview } from './preview.js';

let root: string;
let db: Db;
const ids = new Map<string, number>();

async function picture(file: string, width: number, height: number, format: 'png' | 'jpeg'): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const image = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } });
  await (format === 'png' ? image.png() : image.jpeg()).toFile(file);
}

beforeAll(async () => {
  root = tempDir('studio-preview-');
  const folder = path.join(root, 'images');
  await picture(path.join(folder, 'cat', 'wide.jpg'), 600, 400, 'jpeg');
  await picture(path.join(folder, 'cat', 'tiny.png'), 20, 10, 'png');
  await picture(path.join(folder, 'dog', 'gone.png'), 300, 300, 'png');
  db = openWorkspaceDb(path.join(root, 'ws'));
  await importImages(db, { folder, workspace: path.join(root, 'ws') });
  for (const row of db.prepare('SELECT id, file_name FROM images').all() as { id: number; file_name: string }[]) ids.set(row.file_name, row.id);
  rmSync(path.join(folder, 'dog', 'gone.png'));
});

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('image preview', () => {
  it('shrinks a large original to fit maxSide, keeping its aspect ratio', async () => {
    const preview = await imagePreview(db, ids.get('wide.jpg')!, 300);
    expect(preview).toMatchObject({ fromOriginal: true, width: 300, height: 200, mime: 'image/jpeg' });
    const meta = await sharp(Buffer.from(preview.base64, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([300, 200]);
  });

  it('never enlarges a small original and keeps it lossless', async () => {
    const preview = await imagePreview(db, ids.get('tiny.png')!, 512);
    expect(preview).toMatchObject({ fromOriginal: true, width: 20, height: 10, mime: 'image/png' });
  });

  it('falls back to the stored thumbnail when the file is gone', async () => {
    const preview = await imagePreview(db, ids.get('gone.png')!, 512);
    expect(preview.fromOriginal).toBe(false);
    expect(preview.width).toBeLessThanOrEqual(96);
    expect(preview.base64.length).toBeGreaterThan(0);
  });

  it('names the field for an image that does not exist', async () => {
    await expect(imagePreview(db, 99_999, 512)).rejects.toMatchObject({ code: 'not_found', field: 'imageId' });
  });
});
