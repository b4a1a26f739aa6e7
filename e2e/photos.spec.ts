/**
 * Real photo folders, portrait and landscape mixed (made with sharp: 300x200, 200x300 and large
 * 2000x1500 / 1500x2000 JPEGs), shown true to shape: the empty studio leads to Import, a folder comes in
 * spread by the ratios and another as the validation split, the grid, the side preview and the
 * full-size viewer keep each photo's aspect; an import filters the grid and its report reopens; images
 * move between splits with undo. Then two runs from the form (the second says why it waits, both are
 * evaluated on completion): the mask panel, the inspector and the viewer lay the masks over the photos
 * at their own aspect, and under a run's centre-crop policy over the photo's central square only.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { expect, screenshotPath, startStudio, test, type Studio } from './fixtures.js';
import { openView } from './trainingHelpers.js';

test.describe.configure({ mode: 'serial', timeout: 420_000 });

const SHAPES: [number, number][] = [[300, 200], [200, 300], [2000, 1500], [200, 300], [300, 200], [1500, 2000]];
const HELD: [number, number][] = [[300, 200], [200, 300]];
/** Rendered boxes are whole or half pixels: 3 % covers the rounding of a 40 px side. */
const TOLERANCE = 0.03;

let root: string;
let studio: Studio;
let child: ChildProcess;
let page: Page;

/** A photo-like JPEG: a class colour, a gradient and a square placed by its index, so no two are alike. */
async function photo(file: string, width: number, height: number, hue: [number, number, number], index: number): Promise<void> {
  const side = Math.round(Math.min(width, height) / 3);
  const square = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 255 - hue[0], g: 255 - hue[1], b: 255 - hue[2] } } }).png().toBuffer();
  const gradient = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x2="1" y2="1">` +
      `<stop offset="0" stop-color="rgb(${hue.join(',')})"/><stop offset="1" stop-color="rgb(${(index * 37) % 255},${(index * 71) % 255},${(index * 13) % 255})"/>` +
      `</linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`,
  );
  await sharp(gradient)
    .composite([{ input: square, left: Math.round(((index % 3) * (width - side)) / 2), top: Math.round((((index + 1) % 3) * (height - side)) / 2) }])
    .jpeg({ quality: 85 })
    .toFile(file);
}

async function makeFolder(folder: string, shapes: [number, number][], offset: number): Promise<void> {
  const hues: Record<string, [number, number, number]> = { cat: [200, 120, 40], dog: [40, 90, 200] };
  for (const [label, hue] of Object.entries(hues)) {
    mkdirSync(path.join(folder, label), { recursive: true });
    for (const [i, [width, height]] of shapes.entries()) {
      await photo(path.join(folder, label, `${label}-${offset + i}-${width}x${height}.jpg`), width, height, hue, offset + i + (label === 'dog' ? 50 : 0));
    }
  }
}

/** The photo's size, read back from the workspace database. */
function photoSize(imageId: number): { width: number; height: number } {
  const db = new Database(path.join(studio.workspace, 'studio.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT width, height FROM images WHERE id = ?').get(imageId) as { width: number; height: number };
  } finally {
    db.close();
  }
}

function splitOf(imageId: number): string {
  const db = new Database(path.join(studio.workspace, 'studio.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT split FROM images WHERE id = ?').get(imageId) as { split: string }).split;
  } finally {
    db.close();
  }
}

function countSplit(split: string): number {
  const db = new Database(path.join(studio.workspace, 'studio.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM images WHERE split = ?').get(split) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const found = await locator.boundingBox();
  expect(found, 'the element is laid out').not.toBeNull();
  return found!;
}

/** The element's width/height equals the photo's within the tolerance. */
async function expectAspect(locator: Locator, shape: { width: number; height: number }, what: string): Promise<void> {
  const { width, height } = await box(locator);
  const rendered = width / height;
  const wanted = shape.width / shape.height;
  expect(Math.abs(rendered / wanted - 1), `${what}: rendered ${width.toFixed(1)}x${height.toFixed(1)} for a ${shape.width}x${shape.height} photo`).toBeLessThan(TOLERANCE);
}

/** Under the squash policy the mask covers exactly the photo: the canvas box is the picture's box. */
async function expectMaskOverPhoto(overlay: Locator, what: string): Promise<void> {
  const photoBox = await box(overlay.locator('img'));
  const maskBox = await box(overlay.locator('canvas'));
  for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(maskBox[key] - photoBox[key]), `${what}: mask ${key}`).toBeLessThan(1);
}

test.beforeAll(async ({ browser }) => {
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-photos-'));
  await makeFolder(path.join(root, 'photos'), SHAPES, 0);
  await makeFolder(path.join(root, 'held'), HELD, 20);
  const workspace = path.join(root, 'workspace');
  mkdirSync(workspace);
  ({ studio, child } = await startStudio(workspace));
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});

test.afterAll(async () => {
  await page?.close();
  if (child) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  rmSync(root, { recursive: true, force: true });
});

test('imports a photo folder by the ratios and another as the validation split, and shows every photo at its own shape', async () => {
  await page.goto(studio.url);
  // The empty studio leads to Import, not to a filter that matches nothing.
  const welcome = page.getByTestId('empty-studio');
  await expect(welcome).toContainText('No images yet');
  await expect(page.getByText('No images match these filters')).toHaveCount(0);
  await welcome.getByRole('button', { name: 'Import a folder…' }).click();

  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByRole('radio', { name: 'spread by the split ratios' })).toBeChecked();
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(path.join(root, 'photos'));
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByTestId('report-imported')).toHaveText('12 imported', { timeout: 60_000 });
  await expect(dialog.getByTestId('report-split')).toContainText('spread over the splits by the split ratios');
  await dialog.getByRole('button', { name: 'Import another folder' }).click();
  await dialog.getByRole('radio', { name: 'validation' }).check();
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(path.join(root, 'held'));
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByTestId('report-imported')).toHaveText('4 imported', { timeout: 60_000 });
  await expect(dialog.getByTestId('report-split')).toContainText('validation split, chosen by hand');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(welcome).toHaveCount(0);
  await expect(page.getByTestId('filter-count')).toHaveText('16 images');

  // Every grid thumbnail at its photo's aspect: portrait ones are not cropped, landscape ones not padded.
  const cells = page.getByTestId('image-cell');
  await expect(cells).toHaveCount(16);
  await expect(cells.getByTestId('thumb-image')).toHaveCount(16);
  for (const cell of await cells.all()) {
    const imageId = Number(await cell.getAttribute('data-image-id'));
    await expectAspect(cell.getByTestId('thumb-image'), photoSize(imageId), `grid thumbnail of image ${imageId}`);
  }

  // The side preview of a portrait and of a large landscape photo, sharp (the original, re-encoded).
  for (const name of ['cat-1-200x300.jpg', 'dog-2-2000x1500.jpg', 'cat-5-1500x2000.jpg']) {
    const cell = cells.filter({ hasText: name });
    await cell.click();
    const imageId = Number(await cell.getAttribute('data-image-id'));
    const preview = page.getByTestId('side-preview');
    await expect(preview).toBeVisible();
    await expectAspect(preview, photoSize(imageId), `side preview of ${name}`);
    const natural = await preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    expect(natural, 'the preview is more than the grid thumbnail').toBeGreaterThan(160);
  }

  // Enter opens the full-size viewer on the focused photo (the 1500x2000 one); + zooms, keeping the shape.
  await page.keyboard.press('Enter');
  const viewer = page.getByRole('dialog', { name: 'cat-5-1500x2000.jpg' });
  await expect(viewer).toBeVisible();
  const full = viewer.getByTestId('viewer-photo');
  await expect(full.locator('img')).toBeVisible();
  await expectAspect(full, { width: 1500, height: 2000 }, 'viewer');
  const before = await box(full);
  await page.keyboard.press('+');
  await expect(viewer.getByTestId('viewer-zoom')).toHaveText('150 %');
  const zoomed = await box(full);
  expect(zoomed.height / before.height).toBeCloseTo(1.5, 1);
  await expectAspect(full, { width: 1500, height: 2000 }, 'zoomed viewer');
  await page.screenshot({ path: screenshotPath('photos-viewer') });
  await page.keyboard.press('Escape');
  await expect(viewer).toBeHidden();
  await expect(page.getByRole('grid', { name: 'Images' })).toBeFocused();

  // A double-click opens a landscape one.
  await cells.filter({ hasText: 'dog-0-300x200.jpg' }).dblclick();
  await expectAspect(page.getByRole('dialog', { name: 'dog-0-300x200.jpg' }).getByTestId('viewer-photo'), { width: 300, height: 200 }, 'viewer of a small landscape');
  await page.keyboard.press('Escape');
  await page.screenshot({ path: screenshotPath('photos-grid') });
});

test('filters by import and by folder, reopens a past report, and moves images between splits with undo', async () => {
  await page.getByRole('combobox', { name: 'Import' }).selectOption({ label: '#2 held' });
  await expect(page.getByTestId('filter-count')).toHaveText('4 images');
  const cells = page.getByTestId('image-cell');
  for (const title of await cells.evaluateAll((els) => els.map((el) => el.getAttribute('title')))) expect(title).toContain(' · val');
  await page.getByRole('combobox', { name: 'Import' }).selectOption({ label: 'Any import' });
  await expect(page.getByTestId('filter-count')).toHaveText('16 images');

  // The search matches folders: "held" is only in the second folder's path.
  await page.getByRole('searchbox', { name: 'Search folders and file names' }).fill('held');
  await page.getByRole('searchbox', { name: 'Search folders and file names' }).press('Enter');
  await expect(page.getByTestId('filter-count')).toHaveText('4 images');
  await page.getByRole('searchbox', { name: 'Search folders and file names' }).fill('');
  await page.getByRole('searchbox', { name: 'Search folders and file names' }).press('Enter');
  await expect(page.getByTestId('filter-count')).toHaveText('16 images');

  // Each import's report reopens from the Imports panel.
  const imports = page.getByRole('list', { name: 'Imports' });
  await expect(imports.getByTestId('import-row')).toHaveCount(2);
  await imports.getByRole('button', { name: 'Report of import 2' }).click();
  const report = page.getByRole('dialog', { name: /Import #2/ });
  await expect(report.getByTestId('report-imported')).toHaveText('4 imported');
  await expect(report.getByTestId('report-split')).toContainText('validation');
  await report.getByRole('button', { name: 'Close' }).click();
  await expect(report).toBeHidden();
  await imports.getByRole('button', { name: 'Show the images of import 1' }).click();
  await expect(page.getByTestId('filter-count')).toHaveText('12 images');
  await imports.getByRole('button', { name: 'Show the images of import 1' }).click();
  await expect(page.getByTestId('filter-count')).toHaveText('16 images');

  // One validation photo moved to test by hand, then the move undone.
  const held = cells.filter({ hasText: 'cat-20-300x200.jpg' });
  const imageId = Number(await held.getAttribute('data-image-id'));
  expect(splitOf(imageId)).toBe('val');
  await held.click();
  await page.getByRole('combobox', { name: 'Move selection to split' }).selectOption('test');
  await expect(page.getByTestId('dataset-status')).toHaveText('1 image moved to test');
  expect(splitOf(imageId)).toBe('test');
  await expect(page.getByTestId('details-split')).toHaveText('test (chosen)');
  await page.getByRole('grid', { name: 'Images' }).focus();
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('dataset-status')).toContainText('Undid');
  expect(splitOf(imageId)).toBe('val');

  // With the test split locked, a move into it is refused with the reason, and nothing moves.
  await page.getByRole('form', { name: 'Split ratios' }).getByRole('checkbox', { name: 'Lock test split' }).check();
  await expect(page.getByTestId('dataset-status')).toHaveText('Test split locked');
  await held.click();
  await page.getByRole('combobox', { name: 'Move selection to split' }).selectOption('test');
  await expect(page.getByRole('alert')).toContainText('The test split is locked: moving 1 image into it would change it');
  expect(splitOf(imageId)).toBe('val');
  await page.getByRole('button', { name: 'Dismiss the error' }).click();
  await page.getByRole('form', { name: 'Split ratios' }).getByRole('checkbox', { name: 'Lock test split' }).uncheck();
  await expect(page.getByTestId('dataset-status')).toHaveText('Test split unlocked');
});

test('two runs from the form: the second says why it waits, both are evaluated when they complete, and masks lie over the photos at their shape', async () => {
  await openView(page, 'Training');
  const form = page.getByTestId('train-form');
  await expect(form).toContainText('2 classes');
  await form.getByLabel('Model').selectOption('lite-16');
  await form.getByLabel('Input size').fill('16');
  await form.getByLabel('Epochs').fill('1');
  await form.getByLabel('Batch size').fill('4');
  await form.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/queued|running/);
  await form.getByRole('button', { name: 'Start training' }).click();
  // The second run is queued behind the first, and says so.
  await expect(page.getByTestId('run-waiting')).toHaveText(/^waiting for run \d+ to finish$/);
  await openView(page, 'Runs');
  await expect(page.locator('[data-testid^="run-waiting-"]').first()).toContainText('waiting for run');
  await openView(page, 'Training');
  await expect(page.getByTestId('run-status')).toHaveText('completed', { timeout: 300_000 });

  // The mask panel: each validation photo and each of its masks at the photo's aspect, the mask over all of it.
  const panel = page.getByTestId('mask-panel');
  await expect(panel.getByTestId('panel-mask').first().locator('canvas')).toBeVisible();
  const rows = panel.locator('tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  const shapes = new Set<string>();
  for (const row of await rows.all()) {
    const picture = row.getByTestId('panel-image');
    await expect(picture.locator('img')).toBeVisible();
    const imageId = Number((await picture.locator('img').getAttribute('alt'))!.replace('validation image ', ''));
    const size = photoSize(imageId);
    shapes.add(size.width > size.height ? 'landscape' : 'portrait');
    await expectAspect(picture, size, `panel image ${imageId}`);
    for (const overlay of await row.getByTestId('panel-mask').all()) {
      await expectAspect(overlay, size, `panel mask of image ${imageId}`);
      await expectMaskOverPhoto(overlay, `panel mask of image ${imageId}`);
    }
  }
  expect(shapes, 'the held-out folder has both shapes').toEqual(new Set(['landscape', 'portrait']));
  await page.screenshot({ path: screenshotPath('photos-masks'), fullPage: true });

  // The studio evaluated the completed run itself: Inspect opens on its predictions, no button pressed.
  await openView(page, 'Inspect');
  // The held-out folder's 4 photos and those the ratios put in validation.
  const validation = countSplit('val');
  expect(validation).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('evaluation-summary')).toContainText(`${validation} images`, { timeout: 120_000 });
  const matrix = page.getByTestId('confusion-matrix');
  const cell = matrix.locator('button[data-cell]').filter({ hasNotText: /^0$/ }).first();
  await cell.click();
  const tiles = page.getByTestId('cell-images').getByTestId('image-tile');
  for (const tile of await tiles.all()) {
    await tile.click();
    const inspector = page.getByTestId('inspector');
    const overlay = inspector.getByTestId('inspector-overlay');
    await expect(overlay.locator('canvas')).toBeVisible({ timeout: 60_000 });
    const name = (await inspector.getByRole('heading').textContent())!;
    const [, w, h] = /-(\d+)x(\d+)\.jpg$/.exec(name)!;
    await expectAspect(overlay, { width: Number(w), height: Number(h) }, `inspector on ${name}`);
    await expectMaskOverPhoto(overlay, `inspector on ${name}`);
    await page.keyboard.press('m');
    await expect(overlay.locator('canvas')).toHaveCount(0);
    await expectAspect(overlay, { width: Number(w), height: Number(h) }, `inspector on ${name} without its mask`);
    await page.keyboard.press('m');
    await page.keyboard.press('Escape');
    await expect(inspector).toBeHidden();
  }

  // The full-size viewer lays the newest run's mask over a large photo.
  await openView(page, 'Dataset');
  await page.getByTestId('image-cell').filter({ hasText: 'dog-2-2000x1500.jpg' }).dblclick();
  const viewer = page.getByTestId('photo-viewer');
  const full = viewer.getByTestId('viewer-photo');
  await expect(full.locator('canvas')).toBeVisible({ timeout: 60_000 });
  await expectAspect(full, { width: 2000, height: 1500 }, 'viewer with mask');
  await expectMaskOverPhoto(full, 'viewer with mask');
  await expect(viewer.getByTestId('viewer-prediction')).toContainText('predicted by');
  await page.screenshot({ path: screenshotPath('photos-viewer-mask') });
  await page.keyboard.press('Escape');

  // A run whose config names centre-crop: its mask lies over the photo's central square only.
  const db = new Database(path.join(studio.workspace, 'studio.sqlite'));
  try {
    db.prepare("UPDATE runs SET config = json_set(config, '$.resizePolicy', 'centre-crop')").run();
  } finally {
    db.close();
  }
  await page.reload();
  await page.getByTestId('image-cell').filter({ hasText: 'dog-2-2000x1500.jpg' }).dblclick();
  await expect(full.locator('canvas')).toHaveAttribute('data-policy', 'centre-crop', { timeout: 60_000 });
  const picture = await box(full.locator('img'));
  const square = await box(full.locator('canvas'));
  expect(Math.abs(square.height - picture.height)).toBeLessThan(1);
  expect(Math.abs(square.width - picture.height)).toBeLessThan(1);
  expect(Math.abs(square.x - (picture.x + (picture.width - picture.height) / 2))).toBeLessThan(1);
  await page.keyboard.press('Escape');
});
