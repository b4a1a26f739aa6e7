/**
 * Labelling with the model, in the browser: real CIFAR-10 photos of two classes, most labelled and
 * some not; a tiny run (lite-16 at 8x8) suggests labels for the unlabelled ones; one suggestion is
 * confirmed with the A key and the rest in bulk, and undo takes both edits back. Then the whole-dataset
 * "Find label issues" job runs from the Inspect view with a one-minute budget and shows the
 * out-of-sample accuracy behind its ranking.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, screenshotPath, test } from './fixtures.js';
import { cifarMini, openView } from './trainingHelpers.js';

const CLASSES = ['airplane', 'frog'];
const LABELLED = 50;
const UNLABELLED = 10;

function cli(args: string[], workspace: string): string {
  return execFileSync(process.execPath, ['bin/attention-studio.js', ...args, '--workspace', workspace, '--json'], {
    env: { ...process.env, ATTENTION_STUDIO_HOME: path.join(workspace, '.home') }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
}

/** Two classes' folders with LABELLED images each, and UNLABELLED more of each at the folder's root. */
function twoClassFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-labelling-'));
  for (const cls of CLASSES) {
    const files = readdirSync(path.join(cifarMini, cls)).sort();
    mkdirSync(path.join(folder, cls));
    for (const file of files.slice(0, LABELLED)) cpSync(path.join(cifarMini, cls, file), path.join(folder, cls, file));
    for (const file of files.slice(LABELLED, LABELLED + UNLABELLED)) cpSync(path.join(cifarMini, cls, file), path.join(folder, `${cls}-${file}`));
  }
  return folder;
}

let folder: string;
test.beforeAll(() => {
  folder = twoClassFolder();
});
test.afterAll(() => rmSync(folder, { recursive: true, force: true }));

test('suggests labels for unlabelled images, confirms one by key and the rest in bulk, and undoes both', async ({ page, studio }) => {
  test.setTimeout(180_000);
  const unlabelled = CLASSES.length * UNLABELLED;
  expect(JSON.parse(cli(['import', folder], studio.workspace).trim().split('\n').at(-1)!)).toMatchObject({ imported: CLASSES.length * (LABELLED + UNLABELLED) });
  const run = JSON.parse(cli(['train', '--model', 'lite-16', '--image-size', '8', '--epochs', '2', '--batch-size', '20', '--lr', '0.05'], studio.workspace).trim().split('\n').at(-1)!) as { run: number; status: string };
  expect(run.status).toBe('completed');

  await page.goto(studio.url);
  await page.getByTestId('class-unlabelled').click();
  await expect(page.getByTestId('filter-count')).toHaveText(`${unlabelled} images`);
  const panel = page.getByTestId('suggestion-panel');
  await expect(panel.getByTestId('suggestion-count')).toContainText('No suggestions yet');
  await panel.getByRole('button', { name: 'Suggest' }).click();
  await expect(panel.getByTestId('suggestion-count')).toHaveText(`${unlabelled} suggestions from run ${run.run}`, { timeout: 60_000 });
  const cells = page.getByTestId('image-cell');
  await expect(cells.first().getByTestId('image-suggestion')).toHaveText(/→ (airplane|frog) \d+ %/);
  await expect(panel.getByTestId('label-next').getByRole('listitem')).toHaveCount(12);

  // A accepts the focused image's suggestion: it leaves the unlabelled filter with that class.
  const suggested = (await cells.first().getByTestId('image-suggestion').textContent())!.match(/→ (\w+)/)![1]!;
  const before = Number(await page.getByTestId(`class-count-${suggested}`).textContent());
  await cells.first().click();
  await page.keyboard.press('a');
  await expect(page.getByTestId('filter-count')).toHaveText(`${unlabelled - 1} images`);
  await expect(page.getByTestId(`class-count-${suggested}`)).toHaveText(String(before + 1));
  await expect(page.getByTestId('label-history').getByRole('listitem').first()).toContainText(`Confirmed the suggestion ${suggested} for 1 image`);

  // Everything above 0 %: one edit for the rest.
  await panel.getByRole('spinbutton', { name: 'Confidence threshold in percent' }).fill('0');
  await panel.getByTestId('confirm-above').click();
  await expect(page.getByTestId('filter-count')).toHaveText('0 images');
  await expect(page.getByTestId('class-count-unlabelled')).toHaveText('0');
  await expect(page.getByTestId('label-history').getByRole('listitem').first()).toContainText(`Confirmed ${unlabelled - 1} suggestions`);
  await page.screenshot({ path: screenshotPath('labelling-confirmed') });

  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('class-count-unlabelled')).toHaveText(String(unlabelled - 1));
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('class-count-unlabelled')).toHaveText(String(unlabelled));
  await expect(page.getByTestId(`class-count-${suggested}`)).toHaveText(String(before));
  await expect(panel.getByTestId('suggestion-count')).toHaveText(`${unlabelled} suggestions from run ${run.run}`);
});

test('finds label issues across the whole dataset from the Inspect view, with the accuracy behind them', async ({ page, studio }) => {
  test.setTimeout(240_000);
  cli(['import', folder], studio.workspace);
  await page.goto(studio.url);
  await openView(page, 'Inspect');
  const section = page.getByTestId('dataset-issues');
  await section.getByRole('spinbutton', { name: 'Time budget in minutes' }).fill('1');
  await section.getByTestId('find-label-issues').click();
  await expect(section.getByTestId('label-issue-job')).toContainText(/Job 1: (queued|running)/);
  await expect(section.getByTestId('label-issue-job')).toContainText('Job 1: completed', { timeout: 200_000 });
  await expect(section.getByTestId('oos-accuracy')).toContainText(`${CLASSES.length * LABELLED} images`);
  const accuracy = Number((await section.getByTestId('oos-accuracy').locator('strong').textContent())!.replace(' %', '')) / 100;
  expect(accuracy).toBeGreaterThan(0);
  // The queue warns exactly when the models behind it are weak.
  await expect(section.getByTestId('oos-warning')).toHaveCount(accuracy < 0.7 ? 1 : 0);
  await page.screenshot({ path: screenshotPath('label-issues-whole-dataset'), fullPage: true });
});

test('retrains in the background every few new labels, and the new run’s suggestions replace the old', async ({ page, studio }) => {
  test.setTimeout(180_000);
  const unlabelled = CLASSES.length * UNLABELLED;
  cli(['import', folder], studio.workspace);
  const run = JSON.parse(cli(['train', '--model', 'lite-16', '--image-size', '8', '--epochs', '2', '--batch-size', '20', '--lr', '0.05'], studio.workspace).trim().split('\n').at(-1)!) as { run: number };

  await page.goto(studio.url);
  await page.getByTestId('class-unlabelled').click();
  const panel = page.getByTestId('suggestion-panel');
  await panel.getByRole('button', { name: 'Suggest' }).click();
  await expect(panel.getByTestId('suggestion-count')).toHaveText(`${unlabelled} suggestions from run ${run.run}`);
  const retrain = panel.getByTestId('background-retrain');
  await expect(panel.getByTestId('background-retrain-status')).toHaveText('Off: runs start only when you start them');
  await retrain.getByRole('spinbutton', { name: 'New labels between background runs' }).fill('3');
  await retrain.getByRole('checkbox').check();
  await expect(panel.getByTestId('background-retrain-status')).toHaveText('0 of 3 new labels before the next run');

  // Three suggestions accepted with A, one at a time: the third starts a run with the same recipe.
  const cells = page.getByTestId('image-cell');
  for (let i = 1; i <= 3; i++) {
    await cells.first().click();
    await page.keyboard.press('a');
    await expect(page.getByTestId('filter-count')).toHaveText(`${unlabelled - i} images`);
  }
  const next = run.run + 1;
  await expect(panel.getByTestId('background-retrain-status')).toContainText(`Run ${next} is retraining on the new labels`, { timeout: 20_000 });
  await expect(panel.getByTestId('suggestion-count')).toHaveText(`${unlabelled - 3} suggestions from run ${next}`, { timeout: 120_000 });
  await expect(panel.getByTestId('background-retrain-status')).toHaveText('0 of 3 new labels before the next run');
  await page.screenshot({ path: screenshotPath('labelling-background-retrain') });
});
