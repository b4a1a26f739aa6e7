import { expect, screenshotPath, test } from './fixtures.js';
import { synthesiseImages, synthFileName } from './datasetSynth.js';

const TOTAL = 100_000;
const classes = Array.from({ length: 10 }, (_, k) => `c${k}`);

/**
 * Runs in the page before the app: records, in the page's own clock (performance.now(), from the start
 * of navigation), when each grid thumbnail is on screen and the label of its cell. A string, since the
 * e2e code is type-checked without the DOM library.
 */
const recordThumbnailLoads = `
  window.thumbLoads = [];
  const record = (img) => {
    const cell = img.closest('[data-testid="image-cell"]');
    if (!cell) return;
    const label = cell.querySelector('[data-testid="image-label"]')?.textContent ?? '';
    window.thumbLoads.push({ at: performance.now(), label });
  };
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        const imgs = node instanceof HTMLImageElement ? [node] : node instanceof Element ? [...node.querySelectorAll('img')] : [];
        for (const img of imgs) {
          if (img.complete) record(img);
          else img.addEventListener('load', () => record(img), { once: true });
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
`;

/** ms from `since` (page clock) to the first thumbnail shown in a cell labelled `label` (any label when null). */
function firstThumbnailAfter(since: number, label: string | null): string {
  return `Math.min(...window.thumbLoads.filter((t) => t.at >= ${since} && (${JSON.stringify(label)} === null || t.label === ${JSON.stringify(label)})).map((t) => t.at)) - ${since}`;
}

test('with 100,000 images the first page shows within 1 s, a filter within 1 s, and the grid scrolls to the end', async ({
  page,
  studio,
}) => {
  await synthesiseImages(studio.workspace, { total: TOTAL, classes });

  await page.addInitScript(recordThumbnailLoads);

  await page.goto(studio.url);
  const grid = page.getByRole('grid', { name: 'Images' });
  const cells = page.getByTestId('image-cell');
  await expect(cells.first().locator('img')).toBeVisible();
  await expect(page.getByTestId('filter-count')).toHaveText('100,000 images');
  // performance.now() counts from the start of navigation.
  const firstPageMs = (await page.evaluate(firstThumbnailAfter(0, null))) as number;
  console.log(`first page of ${TOTAL.toLocaleString()} images: ${firstPageMs.toFixed(0)} ms after navigation`);
  expect(firstPageMs).toBeLessThan(1000);
  // Only the rows on screen (and a few more) are in the page.
  expect(await cells.count()).toBeLessThan(200);

  // A class filter: from the click to the first thumbnail of that class.
  const clickedAt = (await page.evaluate('performance.now()')) as number;
  await page.getByTestId('class-c7').click();
  await expect(page.getByTestId('filter-count')).toHaveText('10,000 images');
  await expect(cells.first().getByTestId('image-label')).toHaveText('c7');
  await expect(cells.first().locator('img')).toBeVisible();
  const filterMs = (await page.evaluate(firstThumbnailAfter(clickedAt, 'c7'))) as number;
  console.log(`class filter (10,000 of ${TOTAL.toLocaleString()}): first thumbnails ${filterMs.toFixed(0)} ms after the click`);
  expect(filterMs).toBeLessThan(1000);

  // Back to everything, then End: the grid walks its pages with the cursor to the last image.
  await page.getByTestId('class-all').click();
  await expect(page.getByTestId('filter-count')).toHaveText('100,000 images');
  await cells.first().click();
  const endStarted = Date.now();
  await grid.press('End');
  const last = page.getByTitle(new RegExp(`^${synthFileName(TOTAL - 1)} `));
  await expect(last).toBeVisible({ timeout: 30_000 });
  await expect(last.locator('img')).toBeVisible();
  console.log(`End key to the last of ${TOTAL.toLocaleString()} images: ${Date.now() - endStarted} ms`);
  await expect(page.getByTestId('image-details')).toContainText('100,000 of 100,000');
  await page.screenshot({ path: screenshotPath('dataset-scale-end') });

  // Back to the top is one request: the cursors are kept.
  await grid.press('Home');
  await expect(page.getByTitle(new RegExp(`^${synthFileName(0)} `))).toBeVisible();
});
