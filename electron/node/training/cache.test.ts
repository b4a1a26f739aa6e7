/**
 * The training cache per size and resize policy: built once with progress, reused afterwards, and
 * holding exactly what decoding the file under that policy gives. Photos of both orientations are
 * made with sharp and imported as a user imports a folder.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDecodeOptions, prepareImage } from '../import/decode.js';
import { importImages } from '../import/importer.js';
import { sourcePathsOf, cachedPixels } from '../storage/trainingCache.js';
import { statement } from '../storage/statements.js';
import { tempDir, tempWorkspace, type TempWorkspace } from '../storage/testing/fixtures.js';
import { ensureTrainingCache } from './cache.js';

let folder: string;
let ws: TempWorkspace;
let ids: number[];

beforeAll(async () => {
  folder = tempDir('studio-cache-photos-');
  const shapes = [
    { name: 'wide.png', width: 120, height: 40, colour: { r: 200, g: 30, b: 30 } },
    { name: 'tall.png', width: 40, height: 120, colour: { r: 30, g: 200, b: 30 } },
    { name: 'square.jpg', width: 80, height: 80, colour: { r: 30, g: 30, b: 200 } },
  ];
  mkdirSync(path.join(folder, 'things'));
  for (const { name, width, height, colour } of shapes) {
    // A white stripe down the middle, so that cropping and letterboxing give different squares.
    const stripe = await sharp({ create: { width: Math.max(2, Math.round(width / 8)), height, channels: 3, background: '#fff' } }).png().toBuffer();
    const image = sharp({ create: { width, height, channels: 3, background: colour } }).composite([{ input: stripe, left: Math.round(width / 2), top: 0 }]);
    writeFileSync(path.join(folder, 'things', name), await (name.endsWith('.jpg') ? image.jpeg() : image.png()).toBuffer());
  }
  ws = tempWorkspace();
  await importImages(ws.db, { folder, workspace: ws.dir });
  ids = statement<[], { id: number }>(ws.db, 'SELECT id FROM images ORDER BY id').all().map((r) => r.id);
  expect(ids).toHaveLength(3);
});

afterAll(() => {
  ws?.dispose();
  rmSync(folder, { recursive: true, force: true });
});

describe('the training cache', () => {
  it('decodes each image once per size and policy, with progress, and reuses it afterwards', async () => {
    const progress: [number, number][] = [];
    await ensureTrainingCache(ws.db, ids, 16, 'letterbox', (done, total) => progress.push([done, total]));
    expect(progress).toEqual([[0, 3], [3, 3]]);
    const again: [number, number][] = [];
    await ensureTrainingCache(ws.db, ids, 16, 'letterbox', (done, total) => again.push([done, total]));
    expect(again).toEqual([[0, 0]]);
    // Another policy at the same size is its own set of squares.
    const other: [number, number][] = [];
    await ensureTrainingCache(ws.db, ids, 16, 'centre-crop', (done, total) => other.push([done, total]));
    expect(other).toEqual([[0, 3], [3, 3]]);
    const rows = statement<[], { policy: string; n: number }>(ws.db, 'SELECT policy, count(*) AS n FROM training_cache WHERE size = 16 GROUP BY policy ORDER BY policy').all();
    expect(rows).toEqual([{ policy: 'centre-crop', n: 3 }, { policy: 'letterbox', n: 3 }]);
  });

  it.each(['squash', 'centre-crop', 'letterbox'] as const)('holds what decoding the file under %s gives', async (policy) => {
    await ensureTrainingCache(ws.db, ids, 24, policy);
    for (const id of ids) {
      const file = sourcePathsOf(ws.db, id)[0]!;
      const expected = await prepareImage(readFileSync(file), { ...defaultDecodeOptions, cacheSize: 24, resizePolicy: policy });
      const cached = cachedPixels(ws.db, id, 24, policy)!;
      expect(cached.channels).toBe(3);
      expect(Buffer.compare(cached.data, expected.cache.data), `${file} ${policy}`).toBe(0);
    }
    // The policies give different squares for a photo that is not square.
    const wide = statement<[], { id: number }>(ws.db, "SELECT id FROM images WHERE file_name = 'wide.png'").get()!.id;
    await ensureTrainingCache(ws.db, [wide], 24, 'squash');
    if (policy !== 'squash') expect(Buffer.compare(cachedPixels(ws.db, wide, 24, policy)!.data, cachedPixels(ws.db, wide, 24, 'squash')!.data)).not.toBe(0);
  });
});
