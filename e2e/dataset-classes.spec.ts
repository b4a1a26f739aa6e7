import { expect, screenshotPath, test } from './fixtures.js';
import { synthesiseImages, synthesiseRun } from './datasetSynth.js';

const classes = Array.from({ length: 7 }, (_, k) => `c${k}`);
const TOTAL = 700;
/** The synthetic run gets every third image wrong (the next class), the rest right. */
const predicted = (i: number, label: number) => (i % 3 === 0 ? (label + 1) % classes.length : label);

test('filters by a run\'s prediction, edits classes with undo, sets split ratios and the test lock, and shows errors', async ({
  page,
  studio,
}) => {
  await synthesiseImages(studio.workspace, { total: TOTAL, classes });
  synthesiseRun(studio.workspace, { name: 'baseline', classNames: classes, predicted });
  await page.goto(studio.url);
  const count = (name: string) => page.getByTestId(`class-count-${name}`);
  await expect(page.getByTestId('filter-count')).toHaveText('700 images');

  // Predicted as c3 by the run: validation images only (i % 10 === 1).
  let expected = 0;
  for (let i = 0; i < TOTAL; i++) if (i % 10 === 1 && predicted(i, i % classes.length) === 3) expected++;
  await page.getByRole('combobox', { name: 'Prediction run' }).selectOption({ label: 'Run baseline' });
  await page.getByRole('combobox', { name: 'Predicted class' }).selectOption({ label: 'c3' });
  await expect(page.getByTestId('filter-count')).toHaveText(`${expected} images`);
  await expect(page.getByTestId('prediction-filter')).toContainText('predicted c3 by baseline');
  const labels = page.getByTestId('image-cell').getByTestId('image-label');
  await expect(labels).toHaveCount(expected);
  expect(new Set(await labels.allTextContents())).toEqual(new Set(['c2', 'c3']));
  await page.getByRole('combobox', { name: 'Prediction run' }).selectOption({ label: 'Any prediction' });
  await expect(page.getByTestId('filter-count')).toHaveText('700 images');

  // A clash is refused with the contract's message; a new name is taken.
  await page.getByTestId('class-c0').click();
  const editor = page.getByRole('region', { name: 'Edit class c0' });
  await editor.getByRole('textbox', { name: 'Class name' }).fill('c1');
  await editor.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('alert')).toContainText('A class named "c1" already exists');
  await page.getByRole('button', { name: 'Dismiss the error' }).click();
  await editor.getByRole('textbox', { name: 'Class name' }).fill('zero');
  await editor.getByRole('button', { name: 'Rename' }).click();
  await expect(count('zero')).toHaveText('100');

  // Merge zero into c1, delete c2 (its images become unlabelled), then undo the delete.
  await page.getByRole('region', { name: 'Edit class zero' }).getByRole('combobox', { name: 'Merge into' }).selectOption({ label: 'c1' });
  await page.getByRole('region', { name: 'Edit class zero' }).getByRole('button', { name: 'Merge…' }).click();
  await expect(page.getByRole('group', { name: 'Confirm the merge' })).toContainText('Move all 100 images of zero into c1');
  await expect(count('zero')).toHaveText('100');
  await page.getByRole('group', { name: 'Confirm the merge' }).getByRole('button', { name: 'Merge', exact: true }).click();
  await expect(count('c1')).toHaveText('200');
  await expect(page.getByTestId('class-zero')).toHaveCount(0);
  await page.getByTestId('class-c2').click();
  await page.getByRole('button', { name: 'Delete class…' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(count('unlabelled')).toHaveText('100');
  await expect(page.getByTestId('class-c2')).toHaveCount(0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(count('c2')).toHaveText('100');
  await expect(count('unlabelled')).toHaveText('0');

  await page.getByRole('textbox', { name: 'New class name' }).fill('bird');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(count('bird')).toHaveText('0');

  // Key 9 with fewer classes says so instead of guessing.
  await page.getByTestId('class-all').click();
  await page.getByTestId('image-cell').first().click();
  await page.keyboard.press('9');
  await expect(page.getByRole('alert')).toContainText('Key 9: there are only 7 classes');
  await page.getByRole('button', { name: 'Dismiss the error' }).click();

  // Split ratios: the sum must be 100; then 60/30/10 moves images; the lock freezes the test split.
  const splits = page.getByRole('form', { name: 'Split ratios' });
  await splits.getByRole('spinbutton', { name: 'Train %' }).fill('60');
  await expect(splits.getByRole('button', { name: 'Sum is 80%' })).toBeDisabled();
  await splits.getByRole('spinbutton', { name: 'Val %' }).fill('30');
  await splits.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('Splits set to 60/30/10');
  await expect(page.getByTestId('split-counts')).toContainText(/^4\d\d train · 2\d\d val · \d+ test$/);
  await splits.getByRole('checkbox', { name: 'Lock test split' }).check();
  await expect(page.getByTestId('dataset-status')).toHaveText('Test split locked');
  await expect(splits.getByRole('spinbutton', { name: 'Test %' })).toBeDisabled();
  await page.screenshot({ path: screenshotPath('dataset-classes') });
});
