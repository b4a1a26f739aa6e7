import { expect, screenshotPath, test } from './fixtures.js';
import { synthesiseImages, synthFileName } from './datasetSynth.js';

const TOTAL = 100_000;
const classes = Array.from({ length: 10 }, (_, k) => `c${k}`);

// Latency at this scale is measured by `npm run bench:grid`; this test checks the behaviour.
test('with 100,000 images the grid shows its first page, filters, and walks to the end with the keyboard', async ({
  page,
  studio,
}) => {
  await synthesiseImages(studio.workspace, { total: TOTAL, classes });

  await page.goto(studio.url);
  const grid = page.getByRole('grid', { name: 'Images' });
  const cells = page.getByTestId('image-cell');
  await expect(cells.first().locator('img')).toBeVisible();
  await expect(page.getByTestId('filter-count')).toHaveText('100,000 images');
  // Only the rows on screen (and a few more) are in the page.
  expect(await cells.count()).toBeLessThan(200);

  // A class filter.
  await page.getByTestId('class-c7').click();
  await expect(page.getByTestId('filter-count')).toHaveText('10,000 images');
  await expect(cells.first().getByTestId('image-label')).toHaveText('c7');
  await expect(cells.first().locator('img')).toBeVisible();

  // Back to everything, then End: the grid walks its pages with the cursor to the last image.
  await page.getByTestId('class-all').click();
  await expect(page.getByTestId('filter-count')).toHaveText('100,000 images');
  await cells.first().click();
  await grid.press('End');
  const last = page.getByTitle(new RegExp(`^${synthFileName(TOTAL - 1)} `));
  await expect(last).toBeVisible({ timeout: 30_000 });
  await expect(last.locator('img')).toBeVisible();
  await expect(page.getByTestId('image-details')).toContainText('100,000 of 100,000');
  await page.screenshot({ path: screenshotPath('dataset-scale-end') });

  // Back to the top is one request: the cursors are kept.
  await grid.press('Home');
  await expect(page.getByTitle(new RegExp(`^${synthFileName(0)} `))).toBeVisible();
});
