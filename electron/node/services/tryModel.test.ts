/**
 * The Try view's contract methods on real parts: a workspace with CIFAR-10 images imported the way a
 * user imports them, a real lite-16 run trained for two epochs in its worker, and real photos of cats
 * and dogs of mixed sizes and orientations tried by path and as uploads through the dispatcher.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ImageSummary, ImportRecord } from '../../common/contract/dataset.js';
import { runConfigSchema } from '../../common/contract/runs.js';
import { MAX_TRY_BATCH, MAX_UPLOAD_BYTES, type TryAdded, type TryImageList, type TryMasks, type TryPredictions } from '../../common/contract/tryModel.js';
import { EventHub } from '../events.js';
import { hugePng } from '../import/testing/hugePng.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { openWorkspaceDb } from '../storage/db.js';
import { createRunWithSnapshot, snapshotClasses, updateRun } from '../storage/runs.js';
import { InferenceClient } from '../training/inferenceClient.js';
import { createHandlers } from './index.js';
import { ADDED_IMAGES_FOLDER, listImagesToTry, storedName } from './tryModel.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 300_000 });

const DATASETS = path.resolve(import.meta.dirname, '../../../../shared/datasets');
const CIFAR = path.join(DATASETS, 'cifar10-mini');
const PHOTOS = path.join(DATASETS, 'cats-dogs', 'test');
/** Landscape, portrait (375x499), small portrait (174x310) and square-ish photos. */
const photo = (name: string) => path.join(PHOTOS, name.split('.')[0]!, name);
const MIXED = ['cat.4001.jpg', 'cat.4002.jpg', 'cat.4005.jpg', 'cat.4007.jpg', 'dog.4010.jpg', 'dog.4029.jpg'];

let root: string;
let workspace: string;
let files: string;
let call: (method: string, args?: unknown) => Promise<unknown>;
let runId: number;
const events: { event: string; payload: unknown }[] = [];

const upload = (name: string, bytes: Buffer) => ({ kind: 'upload' as const, name, data: bytes.toString('base64') });
const byPath = (file: string) => ({ kind: 'path' as const, path: file });

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-try-'));
  workspace = path.join(root, 'workspace');
  files = path.join(root, 'files');
  mkdirSync(files);
  const hub = new EventHub();
  hub.subscribe((event, payload) => events.push({ event, payload }));
  call = createDispatcher(createHandlers({ mode: 'browser', workspace, events: hub, forcedBackend: 'wasm' }));
  const job = (await call('importFolder', { folder: CIFAR })) as { jobId: string };
  await new Promise<void>((resolve) => hub.subscribe((event, p) => event === 'import.finished' && (p as { jobId: string }).jobId === job.jobId && resolve()));
  const finished = new Promise<void>((resolve) => hub.subscribe((event, p) => event === 'run.status' && (p as { status: string }).status === 'completed' && resolve()));
  const config = { model: 'lite-16', imageSize: 16, epochs: 2, batchSize: 50, learningRate: 0.05, augmentation: { padding: 2, horizontalFlip: true } };
  runId = ((await call('createRun', { name: 'try me', config })) as { id: number }).id;
  await finished;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('listImagesToTry', () => {
  it('walks folders the way an import does and lists files as given, naming what it skips', async () => {
    const folder = path.join(files, 'walk');
    mkdirSync(path.join(folder, 'inner'), { recursive: true });
    writeFileSync(path.join(folder, 'b.jpg'), readFileSync(photo('cat.4001.jpg')));
    writeFileSync(path.join(folder, 'inner', 'a.jpg'), readFileSync(photo('dog.4010.jpg')));
    writeFileSync(path.join(folder, '.hidden.jpg'), 'x');
    symlinkSync(CIFAR, path.join(folder, 'elsewhere'));
    const single = photo('cat.4002.jpg');
    const list = (await call('listImagesToTry', { paths: [folder, single, folder, path.join(files, 'nowhere.jpg')] })) as TryImageList;
    expect(list.files.map((f) => path.relative(root, f.path))).toEqual(['files/walk/b.jpg', 'files/walk/inner/a.jpg', path.relative(root, single)]);
    expect(list.files[2]).toEqual({ path: single, name: 'cat.4002.jpg', bytes: readFileSync(single).length });
    expect(list.hidden).toBe(1);
    expect(list.truncated).toBe(false);
    expect(list.skipped).toEqual([
      { path: path.join(folder, 'elsewhere'), reason: expect.stringContaining('outside the imported folder') },
      { path: path.join(files, 'nowhere.jpg'), reason: 'does not exist (check the path)' },
    ]);
  });

  it('stops at the file limit and says so', async () => {
    const list = await listImagesToTry([path.join(CIFAR, 'cat'), path.join(CIFAR, 'dog')], workspace, 150);
    expect(list.files).toHaveLength(150);
    expect(list.files.at(-1)!.path).toBe(path.join(CIFAR, 'dog', '0049.jpg'));
    expect(list.truncated).toBe(true);
  });
});

describe('tryImages', () => {
  it("predicts a batch of photos of mixed sizes and orientations in one request, as the CLI's predict does", async () => {
    const paths = MIXED.map(photo);
    const tried = (await call('tryImages', { runId, images: paths.map(byPath) })) as TryPredictions;
    expect(tried.classNames).toHaveLength(10);
    expect(tried.results).toHaveLength(paths.length);
    const client = new InferenceClient(workspace, { backend: 'wasm' });
    const single = await client.predictFiles(runId, paths).finally(() => client.close());
    for (const [i, result] of tried.results.entries()) {
      if (!result.ok) throw new Error(result.error);
      const meta = await sharp(paths[i]).metadata();
      expect(result).toMatchObject({ name: MIXED[i], path: paths[i], width: meta.width, height: meta.height, format: 'jpeg', inDataset: null });
      expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(result.predicted).toBe(result.probabilities.indexOf(Math.max(...result.probabilities)));
      // The thumbnail keeps the photo's aspect ratio.
      expect(result.thumbnail.width / result.thumbnail.height).toBeCloseTo(meta.width! / meta.height!, 1);
      expect(Math.max(result.thumbnail.width, result.thumbnail.height)).toBe(96);
      // Batched through the network, each image gets what it gets on its own.
      expect(tried.classNames[result.predicted]).toBe(single[i]!.predicted);
      for (const [c, name] of tried.classNames.entries()) expect(result.probabilities[c]).toBeCloseTo(single[i]!.probabilities![name]!, 4);
    }
    const portrait = tried.results[1]!;
    expect(portrait.ok && portrait.height > portrait.width).toBe(true);
  });

  it('predicts uploads as it predicts the same files by path, and names each file it cannot read or decode', async () => {
    const jpeg = readFileSync(photo('dog.4029.jpg'));
    const images = [
      upload('dog.4029.jpg', jpeg),
      upload('notes.txt', Buffer.from('a shopping list, not a picture\n')),
      upload('broken.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 3))),
      upload('huge.png', await hugePng(20_000, 20_000)),
      byPath(path.join(files, 'gone.jpg')),
      byPath(files),
    ];
    const tried = (await call('tryImages', { runId, images })) as TryPredictions;
    const [good, text, broken, huge, gone, folder] = tried.results;
    const byFile = (await call('tryImages', { runId, images: [byPath(photo('dog.4029.jpg'))] })) as TryPredictions;
    expect(good).toMatchObject({ ok: true, name: 'dog.4029.jpg', path: null });
    if (!good!.ok || !byFile.results[0]!.ok) throw new Error('expected predictions');
    good!.probabilities.forEach((p, c) => expect(p).toBeCloseTo((byFile.results[0] as { probabilities: number[] }).probabilities[c]!, 5));
    expect(text).toEqual({ ok: false, name: 'notes.txt', path: null, error: expect.stringMatching(/^not an image/) });
    expect(broken).toEqual({ ok: false, name: 'broken.jpg', path: null, error: expect.stringMatching(/truncated JPEG|corrupt JPEG/) });
    expect(huge).toEqual({ ok: false, name: 'huge.png', path: null, error: expect.stringContaining('20000x20000 (400 megapixels), over the 100 megapixels limit') });
    expect(gone).toEqual({ ok: false, name: 'gone.jpg', path: path.join(files, 'gone.jpg'), error: 'does not exist (check the path)' });
    expect(folder).toMatchObject({ ok: false, name: 'files', error: expect.stringContaining('a folder') });
  });

  it('says which tried pictures are already in the dataset, and as what', async () => {
    const tried = (await call('tryImages', { runId, images: [byPath(path.join(CIFAR, 'frog', '0003.jpg'))] })) as TryPredictions;
    expect(tried.results[0]).toMatchObject({ ok: true, inDataset: { className: 'frog', state: 'ok', fileName: '0003.jpg', sourcePath: path.join(CIFAR, 'frog', '0003.jpg') } });
  });

  it.each([
    ['a run id that is not a positive integer', { runId: 0, images: [byPath('/x.jpg')] }, 'runId', /runId/],
    ['no images', { runId: 1, images: [] }, 'images', /at least one image/],
    ['too many images in one request', { runId: 1, images: Array.from({ length: MAX_TRY_BATCH + 1 }, () => byPath('/x.jpg')) }, 'images', /at most 64 images per request/],
    ['an image of an unknown kind', { runId: 1, images: [{ kind: 'url', url: 'http://example.com/cat.jpg' }] }, 'images.0.kind', /path.*upload/],
    ['an upload that is not base64', { runId: 1, images: [{ kind: 'upload', name: 'cat.jpg', data: 'not base64!' }] }, 'images.0.data', /cat\.jpg: the upload is not base64/],
    ['an upload over the size limit', { runId: 1, images: [upload('big.jpg', Buffer.alloc(MAX_UPLOAD_BYTES + 1))] }, 'images.0.data', /big\.jpg is 10\.0 MB, over the 10 MB limit for an upload: type its path instead/],
    ['uploads that add up to more than one request may carry', { runId: 1, images: [upload('a.jpg', Buffer.alloc(6e6)), upload('b.jpg', Buffer.alloc(6e6))] }, 'images', /add up to 11\.4 MB/],
    ['an upload whose name is a path', { runId: 1, images: [{ kind: 'upload', name: '../etc/passwd', data: '' }] }, 'images.0.name', /a file name, not a path/],
  ])('refuses %s with invalid_argument naming the field', async (_what, args, field, message) => {
    await expect(call('tryImages', args)).rejects.toMatchObject({ code: 'invalid_argument', field, message: expect.stringMatching(message) });
  });

  it('refuses an unknown run, and a run without a checkpoint', async () => {
    await expect(call('tryImages', { runId: 999, images: [byPath(photo('cat.4001.jpg'))] })).rejects.toMatchObject({ code: 'not_found', field: 'runId' });
    const db = openWorkspaceDb(workspace);
    try {
      const fresh = createRunWithSnapshot(db, 'never trained', runConfigSchema.parse({ model: 'lite-16', imageSize: 16 }), snapshotClasses(db));
      updateRun(db, fresh, { status: 'stopped' });
      await expect(call('tryImages', { runId: fresh, images: [byPath(photo('cat.4001.jpg'))] })).rejects.toMatchObject({
        code: 'conflict',
        field: 'runId',
        message: expect.stringContaining('must finish at least one epoch'),
      });
    } finally {
      db.close();
    }
  });
});

describe('tryImageMasks', () => {
  it.each([
    ['a portrait photo by path', () => byPath(photo('cat.4002.jpg')), 375, 499],
    ['a landscape photo uploaded', () => upload('cat.4001.jpg', readFileSync(photo('cat.4001.jpg'))), 498, 415],
  ])("returns %s as a picture with each module's mask at its size and its aspect ratio", async (_what, image, width, height) => {
    const result = (await call('tryImageMasks', { runId, image: image() })) as TryMasks;
    expect([result.preview.width, result.preview.height]).toEqual([width, height]);
    const meta = await sharp(Buffer.from(result.preview.base64, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
    expect(result.masks.map((m) => m.module)).toEqual(['stage1_attn1_mask', 'stage2_attn1_mask', 'stage3_attn1_mask']);
    const distinct = result.masks.map((mask) => {
      expect([mask.width, mask.height]).toEqual([width, height]);
      const bytes = Buffer.from(mask.data, 'base64');
      expect(bytes).toHaveLength(width * height);
      return new Set(bytes).size;
    });
    // Computed maps, not blanks (a small module's mask of a briefly trained run may saturate to one value).
    expect(Math.max(...distinct)).toBeGreaterThan(1);
    const tried = (await call('tryImages', { runId, images: [image()] })) as TryPredictions;
    const probabilities = (tried.results[0] as { probabilities: number[] }).probabilities;
    result.probabilities.forEach((p, c) => expect(p).toBeCloseTo(probabilities[c]!, 4));
    expect(result.predicted).toBe(tried.results[0]!.ok && tried.results[0].predicted);
  });

  it('shrinks a large picture to the preview size, and names a file it cannot decode', async () => {
    const big = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#3070a0' } }).jpeg().toBuffer();
    const result = (await call('tryImageMasks', { runId, image: upload('wide.jpg', big) })) as TryMasks;
    expect([result.preview.width, result.preview.height, result.masks[0]!.width, result.masks[0]!.height]).toEqual([512, 288, 512, 288]);
    await expect(call('tryImageMasks', { runId, image: upload('notes.txt', Buffer.from('hello')) })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'image',
      message: expect.stringMatching(/^notes\.txt: not an image/),
    });
  });
});

describe('addTriedImage', () => {
  const imports = async () => (await call('listImports', {})) as ImportRecord[];

  it('adds an upload to a class as an import of its own, keeping the file in the workspace, and excludeImport takes it back', async () => {
    const bytes = readFileSync(photo('cat.4005.jpg'));
    const before = (await imports()).length;
    events.length = 0;
    const added = (await call('addTriedImage', { image: upload('my cat.jpg', bytes), label: 'cat' })) as TryAdded;
    expect(added).toMatchObject({ outcome: 'added', image: { fileName: 'my cat.jpg', className: 'cat', state: 'ok' } });
    expect(added.message).toBe(`Added my cat.jpg to the dataset (class cat) as import #${added.importId}.`);
    const kept = added.image.sourcePath;
    expect(path.relative(workspace, kept).split(path.sep)[0]).toBe(ADDED_IMAGES_FOLDER);
    expect(readFileSync(kept)).toEqual(bytes);
    const list = await imports();
    expect(list).toHaveLength(before + 1);
    expect(list[0]).toMatchObject({ id: added.importId, source: kept, status: 'completed', images: 1, excluded: 0 });
    const image = (await call('getImage', { imageId: added.image.imageId })) as ImageSummary;
    expect(image).toMatchObject({ className: 'cat', width: 360, height: 359, format: 'jpeg' });
    expect(events.map((e) => e.event)).toContain('dataset.changed');

    await call('excludeImport', { importId: added.importId });
    expect(((await call('getImage', { imageId: added.image.imageId })) as ImageSummary).state).toBe('excluded');
    await call('undoLabelEdit', {});
    expect(((await call('getImage', { imageId: added.image.imageId })) as ImageSummary).state).toBe('ok');
  });

  it('calls the same picture added again a duplicate, naming the image already there, and imports nothing', async () => {
    const before = await imports();
    const again = (await call('addTriedImage', { image: byPath(photo('cat.4005.jpg')), label: 'dog' })) as TryAdded;
    expect(again).toMatchObject({ outcome: 'duplicate', importId: null, image: { fileName: 'my cat.jpg', className: 'cat' } });
    expect(again.message).toMatch(/^cat\.4005\.jpg is already in the dataset: the same picture as .*my cat\.jpg \(class cat\)\. Nothing was added\.$/);
    const known = (await call('addTriedImage', { image: byPath(path.join(CIFAR, 'ship', '0007.jpg')), label: null })) as TryAdded;
    expect(known).toMatchObject({ outcome: 'duplicate', image: { className: 'ship', fileName: '0007.jpg' } });
    expect(await imports()).toEqual(before);
  });

  it('adds a file by path where it is, unlabelled or in a class it creates', async () => {
    const unlabelled = (await call('addTriedImage', { image: byPath(photo('dog.4010.jpg')), label: null })) as TryAdded;
    expect(unlabelled).toMatchObject({ outcome: 'added', image: { sourcePath: photo('dog.4010.jpg'), className: null } });
    expect(unlabelled.message).toContain('(unlabelled)');
    const created = (await call('addTriedImage', { image: byPath(photo('dog.4029.jpg')), label: 'puppy' })) as TryAdded;
    expect(created.image.className).toBe('puppy');
    const counts = (await call('classCounts', {})) as { classes: { name: string; total: number }[] };
    expect(counts.classes.find((c) => c.name === 'puppy')?.total).toBe(1);
  });

  it('refuses a file that is not an image, or is gone, naming it, and writes nothing', async () => {
    const kept = () => (existsSync(path.join(workspace, ADDED_IMAGES_FOLDER)) ? readdirSync(path.join(workspace, ADDED_IMAGES_FOLDER)).length : 0);
    const before = kept();
    const importsBefore = await imports();
    await expect(call('addTriedImage', { image: upload('notes.txt', Buffer.from('not a picture')), label: 'cat' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'image.data',
      message: expect.stringMatching(/^notes\.txt: not an image/),
    });
    await expect(call('addTriedImage', { image: byPath(path.join(files, 'gone.jpg')), label: null })).rejects.toMatchObject({
      code: 'not_found',
      field: 'image.path',
      message: 'gone.jpg: does not exist (check the path)',
    });
    await expect(call('addTriedImage', { image: byPath(photo('cat.4001.jpg')), label: 'a/b' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'label' });
    expect(kept()).toBe(before);
    expect(await imports()).toEqual(importsBefore);
  });

  it.each([
    ['cat.jpg', 'cat.jpg'],
    ['..', 'image'],
    ['a:b*c?.png', 'a_b_c_.png'],
    ['trailing. ', 'trailing'],
    ['tab\there.jpg', 'tab_here.jpg'],
  ])('stores an upload named %j as %j', (name, stored) => {
    expect(storedName(name)).toBe(stored);
  });
});
