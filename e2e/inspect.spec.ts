/**
 * The Inspect view on one short lite-16 run (trained once through the CLI, shared by these serial
 * tests): evaluation with progress, the confusion matrix and the images behind a cell, the inspector
 * with its mask overlay and in-place relabelling, the likely-mislabelled queue by keyboard, the Runs list.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { expect, screenshotPath, startStudio, test, type Studio } from './fixtures.js';
import { importCifar, openView, opaquePixels, trainLite16 } from './trainingHelpers.js';

test.describe.configure({ mode: 'serial', timeout: 300_000 });

let workspace: string;
let studio: Studio;
let child: ChildProcess;
let runId: number;
let page: Page;

/** The image's class in the workspace now, read from the database as another process would. */
function classOf(imageId: number): string | null {
  const db = new Database(path.join(workspace, 'studio.sqlite'), { readonly: true });
  try {
    const row = db.prepare('SELECT c.name AS name FROM images i LEFT JOIN classes c ON c.id = i.class_id WHERE i.id = ?').get(imageId) as { name: string | null };
    return row.name;
  } finally {
    db.close();
  }
}

test.beforeAll(async ({ browser }) => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-inspect-'));
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
});

test('evaluates a run with progress, then a confusion-matrix cell shows its images, most confident first', async () => {
  await page.goto(studio.url);
  await openView(page, 'Inspect');
  await expect(page.getByLabel('Run', { exact: true })).toHaveValue(String(runId));
  await expect(page.getByText('no predictions on its validation split yet')).toBeVisible();

  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('evaluate')).toHaveText('Evaluating…');
  await expect(page.getByTestId('evaluation-summary')).toContainText('100 images', { timeout: 120_000 });
  const matrix = page.getByTestId('confusion-matrix');
  await expect(matrix).toHaveAttribute('data-total', '100');
  await expect(page.getByTestId('class-report')).toContainText('airplane');

  // The fullest cell, clicked: as many tiles as its count, confidences in decreasing order.
  const cells = await matrix.locator('button[data-cell]').evaluateAll((buttons) =>
    buttons.map((b) => ({ id: b.getAttribute('data-testid')!, count: Number(b.textContent) })),
  );
  const fullest = cells.reduce((best, cell) => (cell.count > best.count ? cell : best));
  await page.getByTestId(fullest.id).click();
  const tiles = page.getByTestId('cell-images').getByTestId('image-tile');
  await expect(tiles).toHaveCount(fullest.count);
  await expect(page.getByTestId('cell-count')).toContainText(`${fullest.count} images`);
  await expect(tiles.first().locator('img')).toBeVisible();
  const confidences = (await tiles.locator('.caption .muted').allTextContents()).map((t) => Number.parseFloat(t));
  expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
  await page.screenshot({ path: screenshotPath('inspect-cell'), fullPage: true });
});

test('the inspector shows the image large with a mask overlay per stage, probabilities, and relabels in place', async () => {
  await page.getByTestId('cell-images').getByTestId('image-tile').first().click();
  const inspector = page.getByRole('dialog');
  await expect(inspector).toBeVisible();
  const overlay = inspector.getByTestId('inspector-overlay');
  await expect(overlay.locator('img')).toBeVisible();
  await expect(overlay.locator('canvas')).toBeVisible({ timeout: 60_000 });
  expect(await opaquePixels(page, '[data-testid="inspector-overlay"] canvas')).toBeGreaterThan(0);
  await expect(inspector.getByRole('radio')).toHaveCount(3);
  await expect(inspector.getByTestId('probabilities').locator('li')).toHaveCount(10);

  await inspector.getByRole('radio', { name: /Stage 2/ }).check();
  await expect(overlay.locator('canvas')).toHaveAttribute('data-module', 'stage2_attn1_mask');
  await inspector.getByLabel('Colour map').selectOption('viridis');
  await inspector.getByRole('slider', { name: 'Mask opacity' }).fill('0.8');
  await page.screenshot({ path: screenshotPath('inspector') });

  // Key 2 relabels to the second class (automobile); the workspace changes, the run's snapshot does not.
  const given = await inspector.getByTestId('given-label').textContent();
  await inspector.focus();
  await page.keyboard.press('2');
  await expect(inspector.getByTestId('current-label')).toHaveText('automobile');
  await expect(inspector.getByTestId('given-label')).toHaveText(given!);
  // Tab stays inside the modal inspector, both ways round.
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press(key);
      await expect(inspector.locator(':focus')).toHaveCount(1);
    }
  }
  await page.keyboard.press('Escape');
  await expect(inspector).toBeHidden();
  // Focus goes back to the tile that opened it.
  await expect(page.getByTestId('cell-images').getByTestId('image-tile').first()).toBeFocused();
});

test('the likely-mislabelled queue accepts a suggestion by key (relabelling the image) and rejects by key', async () => {
  await page.getByRole('tab', { name: /Likely mislabelled/ }).click();
  const queue = page.getByTestId('issue-queue');
  await expect(queue).toBeVisible();
  const issues = queue.getByTestId('issue');
  const before = await issues.count();
  expect(before).toBeGreaterThan(1);

  const first = issues.first();
  const imageId = Number(await first.getAttribute('data-image-id'));
  const suggested = (await first.locator('.suggested').textContent())!.split(' ')[0]!;
  await queue.focus();
  await page.keyboard.press('a');
  await expect(issues).toHaveCount(before - 1);
  await expect.poll(() => classOf(imageId)).toBe(suggested);

  // Focus stays in the queue: the row now first is focused as a row, and the next key acts on it.
  await expect(issues.first()).toBeFocused();
  const next = Number(await issues.first().getAttribute('data-image-id'));
  const label = classOf(next);
  await page.keyboard.press('r');
  await expect(issues).toHaveCount(before - 2);
  expect(classOf(next)).toBe(label);
  await expect(issues.first()).toBeFocused();

  // A click on a row focuses it; r then rejects that row, and the row after it takes the focus.
  expect(await issues.count()).toBeGreaterThanOrEqual(4);
  const clicked = issues.nth(1);
  const clickedId = Number(await clicked.getAttribute('data-image-id'));
  const after = await issues.nth(2).getAttribute('data-image-id');
  await clicked.locator('.file').click();
  await expect(clicked).toBeFocused();
  await page.keyboard.press('r');
  await expect(queue.locator(`[data-image-id="${clickedId}"]`)).toHaveCount(0);
  await expect(queue.locator(`[data-image-id="${after}"]`)).toBeFocused();
  // Accept clicked with the mouse: the next row is focused (not its Accept button), and keys keep working.
  const acceptable = issues.filter({ has: page.getByRole('button', { name: 'Accept', disabled: false }) }).first();
  await expect(acceptable).toHaveCount(1);
  const remaining = await issues.count();
  await acceptable.getByRole('button', { name: 'Accept' }).click();
  await expect(issues).toHaveCount(remaining - 1);
  const focusedRow = queue.locator('[data-testid="issue"]:focus');
  await expect(focusedRow).toHaveCount(1);
  await page.keyboard.press('r');
  await expect(issues).toHaveCount(remaining - 2);
  await page.screenshot({ path: screenshotPath('inspect-queue'), fullPage: true });
});

test('the Runs view lists the run with its configuration and metrics', async () => {
  await openView(page, 'Runs');
  const row = page.getByTestId('run-row').first();
  await expect(row).toContainText('lite-16');
  await expect(row).toContainText('completed');
  await expect(row).toContainText('800/100/100');
  await page.screenshot({ path: screenshotPath('runs'), fullPage: true });
});
