/**
 * The Training view end to end: a short lite-16 run on CIFAR-10 mini started from the form, with the
 * curves, the confusion matrix and the attention-mask panel updating live, and pause/resume.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, screenshotPath, test } from './fixtures.js';
import { importCifar, openView, opaquePixels } from './trainingHelpers.js';

test('trains lite-16 from the form and shows curves, confusion matrix and masks updating each epoch', async ({ page, studio }) => {
  test.setTimeout(300_000);
  importCifar(studio.workspace);
  await page.goto(studio.url);
  await openView(page, 'Training');

  const form = page.getByTestId('train-form');
  await expect(form).toContainText('10 classes');
  await form.getByLabel('Model').selectOption('lite-16');
  // 10 classes, RGB: the registry's count.
  await expect(page.getByTestId('model-params')).toHaveText('68,122');
  await form.getByLabel('Input size').fill('16');
  // lite-16 at 16x16: a quarter of its 8.1 M multiply-adds at 32x32.
  await expect(page.getByTestId('model-macs')).toHaveText('2.0 M');
  // Before any run of the model, a few timed steps give the estimate.
  await expect(page.getByTestId('time-estimate')).toContainText(/img\/s on wasm, measured just now/, { timeout: 90_000 });
  await form.getByLabel('Epochs').fill('2');
  await form.getByLabel('Batch size').fill('50');
  await form.getByLabel('Learning rate').fill('0.05');
  await form.getByLabel('Random crop padding (px)').fill('2');
  // A time budget says how many of the epochs fit at the measured speed; cleared again for this run.
  await form.getByLabel('Time budget (minutes, optional)').fill('1');
  await expect(page.getByTestId('budget-epochs')).toContainText(/about \d+ of 2 epochs fit in 1 min/);
  await form.getByLabel('Time budget (minutes, optional)').fill('');
  await expect(page.getByTestId('budget-epochs')).toHaveCount(0);
  await expect(page.getByTestId('train-backend')).not.toBeEmpty();
  await form.getByRole('button', { name: 'Start training' }).click();

  const status = page.getByTestId('run-status');
  await expect(status).toHaveText(/queued|running/);
  // Batch events draw the training curve before the first epoch ends.
  await expect(page.getByTestId('loss-chart')).not.toHaveAttribute('data-points', '0', { timeout: 120_000 });
  await expect(status).toHaveText('running');

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(status).toHaveText('paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(status).toHaveText('running');

  // Epoch 1: validation points, the confusion matrix over the 100 validation images, masks.
  await expect(page.getByTestId('confusion-epoch')).toContainText('after epoch 1', { timeout: 150_000 });
  await expect(page.getByTestId('live-confusion')).toHaveAttribute('data-total', '100');
  const panel = page.getByTestId('mask-panel');
  await expect(panel).toHaveAttribute('data-epoch', '1');
  await expect(panel.getByTestId('panel-mask').first().locator('canvas')).toBeVisible();
  expect(await opaquePixels(page, '[data-testid="panel-mask"] canvas')).toBeGreaterThan(0);
  await page.screenshot({ path: screenshotPath('train-epoch1'), fullPage: true });

  // Epoch 2 replaces both, and the run completes.
  await expect(page.getByTestId('confusion-epoch')).toContainText('after epoch 2', { timeout: 150_000 });
  await expect(panel).toHaveAttribute('data-epoch', '2');
  await expect(status).toHaveText('completed', { timeout: 60_000 });
  await expect(page.getByTestId('epoch-counter')).toHaveText('2');
  // Panel rows: up to two validation images per class, three attention stages each.
  expect(await panel.getByTestId('panel-mask').count()).toBe(16 * 3);
  // The speed measured by this run now feeds the estimate for the next one.
  await expect(page.getByTestId('time-estimate')).toContainText('img/s measured');
  await page.screenshot({ path: screenshotPath('train-completed'), fullPage: true });
});

test('starts a naive-attention (NAL) run with spatial masks, zero-γ weights, letterboxed input and photo augmentation from the form', async ({ page, studio }) => {
  test.setTimeout(300_000);
  importCifar(studio.workspace);
  await page.goto(studio.url);
  await openView(page, 'Training');
  const form = page.getByTestId('train-form');
  await expect(form).toContainText('10 classes');
  await form.getByLabel('Model').selectOption('lite-16');
  // The recipe's data- and model-dependent defaults, with their reasons.
  await expect(page.getByTestId('flip-reason')).toContainText('On by default');
  await expect(form.getByLabel('Weight decay')).toHaveValue('0.0005');
  await form.getByLabel('Model').selectOption('attention56-cifar');
  await expect(form.getByLabel('Weight decay')).toHaveValue('0.0001');
  await form.getByLabel('Model').selectOption('lite-16');

  await form.getByLabel('Fusion').selectOption('nal');
  await expect(page.getByTestId('attention-doc')).toContainText('Naive attention learning');
  await form.getByLabel('Mask activation').selectOption('spatial');
  // PyTorch's initialisation is the default, chosen by bench:parity; the hint says why.
  await expect(form.getByLabel('Initial weights')).toHaveValue('pytorch');
  await expect(page.getByTestId('init-hint')).toContainText('above MSRA');
  await form.getByLabel('Initial weights').selectOption('zero-gamma');
  await expect(page.getByTestId('init-hint')).toContainText('starts as the identity');
  await form.getByLabel('Input size').fill('8');
  await form.getByLabel('Photos become squares by').selectOption('letterbox');
  await form.getByLabel('Kind').selectOption('photo');
  // Random-resized-crop replaces pad-and-crop: no padding to set.
  await expect(form.getByLabel('Random crop padding (px)')).toHaveCount(0);
  await form.getByLabel('Epochs').fill('1');
  await form.getByLabel('Batch size').fill('50');
  await form.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('completed', { timeout: 240_000 });

  const db = new Database(path.join(studio.workspace, 'studio.sqlite'), { readonly: true });
  try {
    const { config } = db.prepare('SELECT config FROM runs ORDER BY id DESC LIMIT 1').get() as { config: string };
    expect(JSON.parse(config)).toMatchObject({
      fusion: 'nal', maskActivation: 'spatial', init: 'zero-gamma', weightDecay: 0.0005, resizePolicy: 'letterbox',
      augmentation: { preset: 'photo', padding: 0, horizontalFlip: true, randomResizedCrop: { scale: [0.08, 1] }, colourJitter: { brightness: 0.2 } },
    });
    const cached = db.prepare("SELECT DISTINCT policy FROM training_cache WHERE size = 8").all();
    expect(cached).toEqual([{ policy: 'letterbox' }]);
  } finally {
    db.close();
  }
});
