/**
 * The packaged app, end to end: the studio started from the desktop package's payload (app.asar
 * extracted beside its unpacked files, by `npm run test:package`) rather than from this checkout, so a
 * runtime dependency the package lacks fails here. Import (sharp, SQLite), one short training epoch
 * (tfjs on WASM in a worker thread) and a prediction (evaluation, the inspector's probabilities).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readPayloadRecord } from '../scripts/package/layout.js';
import { importThroughDialog } from './datasetHelpers.js';
import { expect, startStudio, test } from './fixtures.js';
import { openView } from './trainingHelpers.js';

const payload = readPayloadRecord();

/** Two classes of 16x16 PNGs, reddish and bluish noise, `perClass` each; returns the folder. */
async function writeTwoClassFolder(root: string, perClass: number): Promise<string> {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const folder = path.join(root, 'images');
  for (const [name, base] of [['red', [200, 40, 40]], ['blue', [40, 40, 200]]] as const) {
    mkdirSync(path.join(folder, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const pixels = Buffer.alloc(16 * 16 * 3);
      for (let p = 0; p < pixels.length; p++) pixels[p] = Math.max(0, Math.min(255, base[p % 3]! + Math.round((random() - 0.5) * 80)));
      await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path.join(folder, name, `${name}-${i}.png`));
    }
  }
  return folder;
}

test('the packaged app imports images, trains an epoch and predicts, with nothing but its own files', async ({ page }) => {
  test.skip(payload === null, 'The package has not been built: run `npm run test:package` first (`npm test` does).');
  test.setTimeout(240_000);
  // Node must find every module inside the payload, never through a module path of this checkout.
  delete process.env.NODE_PATH;
  const root = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-package-'));
  const { studio, child } = await startStudio(path.join(root, 'workspace'), path.join(payload!.dir, 'bin', 'attention-studio.js'));
  try {
    const images = await writeTwoClassFolder(root, 12);
    await page.goto(studio.url);
    await expect(page.getByRole('heading', { name: 'Attention Studio' })).toBeVisible();
    await expect(page.getByTestId('app-version')).toContainText(payload!.version);
    await importThroughDialog(page, images, 24);

    await openView(page, 'Training');
    const form = page.getByTestId('train-form');
    await expect(form).toContainText('2 classes');
    await form.getByLabel('Model').selectOption('lite-16');
    await form.getByLabel('Input size').fill('8');
    await form.getByLabel('Epochs').fill('1');
    await form.getByLabel('Batch size').fill('4');
    await expect(page.getByTestId('train-backend')).not.toHaveText('no backend');
    await form.getByRole('button', { name: 'Start training' }).click();
    await expect(page.getByTestId('run-status')).toHaveText('completed', { timeout: 180_000 });
    await expect(page.getByTestId('epoch-counter')).toHaveText('1');

    await openView(page, 'Inspect');
    await page.getByTestId('evaluate').click();
    await expect(page.getByTestId('evaluation-summary')).toContainText(/\d+ images · accuracy/, { timeout: 60_000 });
    const cells = page.getByTestId('confusion-matrix').locator('button[data-cell]');
    const counts = await cells.evaluateAll((buttons) => buttons.map((b) => Number(b.textContent)));
    await cells.nth(counts.indexOf(Math.max(...counts))).click();
    await page.getByTestId('cell-images').getByTestId('image-tile').first().click();
    const inspector = page.getByRole('dialog');
    await expect(inspector.getByTestId('probabilities').locator('li')).toHaveCount(2);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(root, { recursive: true, force: true });
  }
});
