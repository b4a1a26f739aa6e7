/**
 * The Runs view's comparison on two finished runs synthesised into the workspace (no training): curves
 * side by side, the configuration diff, and the per-image regression diff between them. And the
 * Inspect view's choice of run beside a run that has no checkpoint yet.
 */
import os from 'node:os';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { registerOwner } from '../electron/node/storage/owners.js';
import { createRunWithSnapshot, snapshotClasses, updateRun } from '../electron/node/storage/runs.js';
import { synthesiseRuns } from '../electron/node/storage/testing/syntheticRuns.js';
import { expect, screenshotPath, test } from './fixtures.js';
import { openView } from './trainingHelpers.js';

test('compares two runs: curves side by side and the images fixed or broken from A to B', async ({ page, studio }) => {
  const [baseline, candidate] = await synthesiseRuns(studio.workspace, {
    valImages: 400,
    classes: 5,
    runs: [
      { name: 'baseline', accuracy: 0.5, seed: 1, epochs: 3 },
      { name: 'candidate', accuracy: 0.8, seed: 2, epochs: 5 },
    ],
  });
  await page.goto(studio.url);
  await openView(page, 'Runs');
  await expect(page.getByTestId('run-row')).toHaveCount(2);

  await page.getByRole('checkbox', { name: `Compare run #${baseline}` }).check();
  await page.getByRole('checkbox', { name: `Compare run #${candidate}` }).check();
  const compare = page.getByTestId('compare');
  await expect(compare).toContainText(`A #${baseline} baseline`);
  // Epochs 1..5 of the longer run on one x axis; train and validation of A and B in the legend.
  await expect(compare.getByTestId('compare-loss')).toHaveAttribute('data-points', '5');
  await expect(compare.getByTestId('compare-accuracy').locator('.u-legend .u-series')).toHaveCount(4);

  const summary = compare.getByTestId('diff-summary');
  await expect(summary).toContainText('fixed');
  const [fixedCount, brokenCount] = (await summary.textContent())!.match(/\d+/g)!.map(Number);
  // B is right far more often than A: more images fixed than broken.
  expect(fixedCount).toBeGreaterThan(brokenCount!);
  await expect(compare.getByTestId('regression-diff').locator('li')).toHaveCount(Math.min(300, fixedCount! + brokenCount!));
  await expect(compare.getByTestId('regression-diff').locator('li.fixed img').first()).toBeVisible();
  await page.screenshot({ path: screenshotPath('runs-compare'), fullPage: true });
});

test('Inspect keeps to runs it can evaluate: a run in its first epoch chosen in Training does not replace the run shown', async ({ page, studio }) => {
  const [older] = await synthesiseRuns(studio.workspace, { valImages: 60, classes: 3, runs: [{ name: 'older', accuracy: 0.7, seed: 1, epochs: 2 }] });
  // A newer run in its first epoch, held by a live process (this test's), as a CLI `train` would hold it.
  const db = openWorkspaceDb(studio.workspace);
  let newer: number;
  try {
    const ownerId = `${os.hostname()}:${process.pid}:e2e`;
    registerOwner(db, { id: ownerId, host: os.hostname(), pid: process.pid, startedAt: Date.now(), heartbeatAt: Date.now() });
    const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 5, batchSize: 50 });
    newer = createRunWithSnapshot(db, 'first epoch', config, snapshotClasses(db), ownerId);
    updateRun(db, newer, { status: 'running', backend: 'wasm' });
  } finally {
    db.close();
  }

  await page.goto(studio.url);
  await openView(page, 'Inspect');
  await expect(page.locator('#inspect-run')).toHaveValue(String(older));
  await expect(page.getByTestId('evaluation-summary')).toContainText('60 images');

  await openView(page, 'Training');
  await page.locator('#train-run').selectOption(String(newer));
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await openView(page, 'Inspect');
  await expect(page.locator('#inspect-run')).toHaveValue(String(older));
  await expect(page.getByTestId('evaluation-summary')).toContainText('60 images');
  await expect(page.getByTestId('evaluate')).toHaveText('Re-evaluate');
  await expect(page.getByRole('alert')).toHaveCount(0);
});
