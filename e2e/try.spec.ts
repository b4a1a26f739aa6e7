/**
 * The Try view on one short lite-16 run (trained once through the CLI, shared by these serial tests):
 * real photos of cats and dogs uploaded through the file input and dropped on the view, their
 * predictions and a portrait photo's masks over it, adding one to the dataset (and the duplicate and
 * the Undo after it), and a typed folder tried in batches with progress.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { hugePng } from '../electron/node/import/testing/hugePng.js';
import { expect, screenshotPath, startStudio, test, type Studio } from './fixtures.js';
import { cifarMini, importCifar, openView, opaquePixels, trainLite16 } from './trainingHelpers.js';

test.describe.configure({ mode: 'serial', timeout: 300_000 });

const photos = path.resolve('..', 'shared', 'datasets', 'cats-dogs', 'test');
const photo = (name: string) => path.join(photos, name.split('.')[0]!, name);
const cifarClasses = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

let workspace: string;
let scratch: string;
let studio: Studio;
let child: ChildProcess;
let runId: number;
let page: Page;

/** An image row of the workspace, read from the database as another process would. */
function imageNamed(fileName: string): { className: string | null; state: string; importId: number } | undefined {
  const db = new Database(path.join(workspace, 'studio.sqlite'), { readonly: true });
  try {
    return db
      .prepare('SELECT c.name AS className, i.state AS state, i.import_id AS importId FROM images i LEFT JOIN classes c ON c.id = i.class_id WHERE i.file_name = ?')
      .get(fileName) as { className: string | null; state: string; importId: number } | undefined;
  } finally {
    db.close();
  }
}

test.beforeAll(async ({ browser }) => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-try-'));
  scratch = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-try-files-'));
  writeFileSync(path.join(scratch, 'notes.txt'), 'a shopping list, not a picture\n');
  const jpeg = readFileSync(photo('dog.4029.jpg'));
  writeFileSync(path.join(scratch, 'broken.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
  // A decompression bomb (400 megapixels in 0.4 MB), and a file over the upload limit.
  writeFileSync(path.join(scratch, 'huge.png'), await hugePng(20_000, 20_000));
  writeFileSync(path.join(scratch, 'big.jpg'), Buffer.concat([jpeg, Buffer.alloc(11 * 1024 * 1024 - jpeg.length)]));
  importCifar(workspace);
  runId = trainLite16(workspace, 1);
  ({ studio, child } = await startStudio(workspace));
  page = await browser.newPage();
});

test.afterAll(async () => {
  await page?.close();
  if (child) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  rmSync(workspace, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

test('uploaded photos get their top classes, a portrait one its masks over it true to its aspect ratio, and files that are not images are named', async () => {
  await page.goto(studio.url);
  await openView(page, 'Try');
  await expect(page.getByLabel('Run', { exact: true })).toHaveValue(String(runId));
  await expect(page.getByTestId('try-dropzone')).toBeVisible();

  // Landscape, portrait (375x499), a small portrait (174x310) and a square one, with four bad files.
  const chosen = ['cat.4001.jpg', 'cat.4002.jpg', 'cat.4007.jpg', 'cat.4005.jpg'].map(photo);
  const bad = ['notes.txt', 'broken.jpg', 'huge.png', 'big.jpg'].map((name) => path.join(scratch, name));
  await page.getByTestId('try-files').setInputFiles([...chosen, ...bad]);

  await expect(page.getByTestId('try-progress')).toHaveText('8 of 8 images · 4 predicted · 4 could not be tried');
  const tiles = page.getByTestId('try-tile');
  await expect(tiles).toHaveCount(4);
  for (const tile of await tiles.all()) {
    expect(cifarClasses).toContain(await tile.getByTestId('try-tile-class').textContent());
    await expect(tile.locator('img')).toBeVisible();
  }
  const errors = page.getByTestId('try-error');
  await expect(errors).toHaveCount(4);
  await expect(errors.filter({ hasText: 'notes.txt' })).toContainText('not an image');
  await expect(errors.filter({ hasText: 'broken.jpg' })).toContainText(/truncated JPEG|corrupt JPEG/);
  await expect(errors.filter({ hasText: 'huge.png' })).toContainText('20000x20000 (400 megapixels), over the 100 megapixels limit');
  await expect(errors.filter({ hasText: 'big.jpg' })).toContainText('big.jpg is 11 MB, over the 10 MB limit for an upload: type its path instead');

  // The portrait photo: its picture with the stage's mask over it, at the photo's own proportions.
  const portrait = tiles.filter({ hasText: 'cat.4002.jpg' });
  await portrait.click();
  await expect(portrait).toHaveAttribute('aria-selected', 'true');
  const detail = page.getByTestId('try-detail');
  await expect(detail.getByRole('heading', { name: 'cat.4002.jpg' })).toBeVisible();
  const overlay = detail.getByTestId('try-overlay');
  await expect(overlay.locator('img')).toBeVisible();
  await expect(overlay.locator('canvas')).toBeVisible({ timeout: 60_000 });
  expect(await opaquePixels(page, '[data-testid="try-overlay"] canvas')).toBeGreaterThan(0);
  const box = (await overlay.boundingBox())!;
  expect(box.width / box.height).toBeCloseTo(375 / 499, 2);
  await expect(detail.getByRole('radio')).toHaveCount(3);
  await detail.getByRole('radio', { name: /Stage 3/ }).check();
  await expect(overlay.locator('canvas')).toHaveAttribute('data-module', 'stage3_attn1_mask');
  await expect(overlay.locator('canvas')).toHaveAttribute('width', '375');

  // Its top five classes, most probable first, the first being the tile's prediction.
  const bars = detail.getByTestId('probabilities').locator('li');
  await expect(bars).toHaveCount(5);
  const values = (await bars.locator('.value').allTextContents()).map((t) => Number.parseFloat(t));
  expect(values).toEqual([...values].sort((a, b) => b - a));
  await expect(detail.getByTestId('try-predicted').locator('strong')).toHaveText((await portrait.getByTestId('try-tile-class').textContent())!);
  await page.screenshot({ path: screenshotPath('try'), fullPage: true });

  // The keyboard moves through the tiles; the detail follows.
  await portrait.focus();
  await page.keyboard.press('ArrowRight');
  await expect(tiles.filter({ hasText: 'cat.4007.jpg' })).toHaveAttribute('aria-selected', 'true');
  await expect(tiles.filter({ hasText: 'cat.4007.jpg' })).toBeFocused();
  await expect(detail.getByRole('heading', { name: 'cat.4007.jpg' })).toBeVisible();
  await expect(overlay.locator('canvas')).toBeVisible({ timeout: 60_000 });
  const small = (await overlay.boundingBox())!;
  expect(small.width / small.height).toBeCloseTo(174 / 310, 2);
});

test('photos dropped on the view are predicted; one is added to the dataset in a chosen class, again as a duplicate, and Undo excludes it', async () => {
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.getByTestId('try-dropzone')).toBeVisible();
  const dropped = ['dog.4029.jpg', 'dog.4010.jpg'].map((name) => ({ name, base64: readFileSync(photo(name)).toString('base64') }));
  // A drop as the browser makes one: a DataTransfer holding the files (the e2e tsconfig has no DOM types).
  const transfer = await page.evaluateHandle((files) => {
    const dom = globalThis as unknown as {
      DataTransfer: new () => { items: { add(file: unknown): void } };
      File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
    };
    const dt = new dom.DataTransfer();
    for (const f of files) dt.items.add(new dom.File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: 'image/jpeg' }));
    return dt;
  }, dropped);
  await page.getByTestId('try-view').dispatchEvent('drop', { dataTransfer: transfer });
  const tiles = page.getByTestId('try-tile');
  await expect(tiles).toHaveCount(2);
  await expect(page.getByTestId('try-progress')).toHaveText('2 of 2 images · 2 predicted · 0 could not be tried');

  await tiles.filter({ hasText: 'dog.4029.jpg' }).click();
  const detail = page.getByTestId('try-detail');
  await expect(detail.getByRole('heading', { name: 'dog.4029.jpg' })).toBeVisible();
  await expect(detail.getByTestId('try-add-class')).toHaveValue((await detail.getByTestId('try-predicted').locator('strong').textContent())!);
  await detail.getByTestId('try-add-class').selectOption('dog');
  await detail.getByTestId('try-add').click();
  await expect(detail.getByTestId('try-added')).toHaveText(/^Added dog\.4029\.jpg to the dataset \(class dog\) as import #\d+\./);
  const added = imageNamed('dog.4029.jpg');
  expect(added).toMatchObject({ className: 'dog', state: 'ok' });
  await expect(tiles.filter({ hasText: 'dog.4029.jpg' })).toContainText('in dataset');

  // The same picture again: a duplicate, said plainly; nothing new is imported.
  await detail.getByTestId('try-add-class').selectOption('cat');
  await detail.getByTestId('try-add').click();
  await expect(detail.getByTestId('try-added')).toContainText('dog.4029.jpg is already in the dataset: the same picture as');
  await expect(detail.getByTestId('try-added')).toContainText('(class dog). Nothing was added.');

  // The add as an import: excluding it is its undo.
  await tiles.filter({ hasText: 'dog.4010.jpg' }).click();
  await detail.getByTestId('try-add-class').selectOption('');
  await detail.getByTestId('try-add').click();
  await expect(detail.getByTestId('try-added')).toContainText('(unlabelled) as import #');
  expect(imageNamed('dog.4010.jpg')).toMatchObject({ className: null, state: 'ok' });
  await detail.getByTestId('try-undo-add').click();
  await expect(detail.getByTestId('try-add-undone')).toBeVisible();
  expect(imageNamed('dog.4010.jpg')).toMatchObject({ state: 'excluded' });
  expect(imageNamed('dog.4029.jpg')).toMatchObject({ state: 'ok' });
});

test('a typed folder is tried in batches of many files with progress, and a missing path is named', async () => {
  await page.getByRole('button', { name: 'Clear' }).click();
  const requests: number[] = [];
  page.on('websocket', (socket) =>
    socket.on('framesent', (frame) => {
      const message = JSON.parse(String(frame.payload)) as { method?: string; args?: { images?: unknown[] } };
      if (message.method === 'tryImages') requests.push(message.args!.images!.length);
    }),
  );
  // A fresh page: its WebSocket is the one listened to.
  await page.reload();
  await openView(page, 'Try');
  await page.getByLabel("or a path on the studio's machine").fill(path.join(photos, 'cat'));
  await page.getByRole('button', { name: 'Try path' }).click();
  await expect(page.getByRole('progressbar', { name: 'Prediction progress' })).toHaveAttribute('aria-valuemax', '200');
  await expect(page.getByTestId('try-progress')).toHaveText('200 of 200 images · 200 predicted · 0 could not be tried', { timeout: 120_000 });
  await expect(page.getByTestId('try-tile')).toHaveCount(200);
  expect(requests.reduce((a, b) => a + b, 0)).toBe(200);
  expect(requests.length).toBeLessThanOrEqual(10);
  expect(Math.max(...requests)).toBeGreaterThan(1);

  await page.getByLabel("or a path on the studio's machine").fill(path.join(cifarMini, 'no-such-folder'));
  await page.getByRole('button', { name: 'Try path' }).click();
  await expect(page.getByTestId('try-error').filter({ hasText: 'no-such-folder' })).toContainText('does not exist (check the path)');
});
