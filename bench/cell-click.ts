/**
 * Inspect-view latency: the time from clicking a confusion-matrix cell to its images being visible
 * (every thumbnail of the cell's first page decoded) in Chromium, on a run with a 10,000-image
 * validation split. The workspace is synthesised straight through the storage modules (image rows, a
 * tiny thumbnail shared per class, a completed run about 60 % right, its snapshot and one prediction
 * per image: see storage/testing/syntheticRuns.ts), then served by `attention-studio serve` from the
 * built output (run `npm run build` first) and driven with Playwright. Each cell is clicked once, so
 * its thumbnails are fetched, except the few the view's likely-mislabelled list already showed.
 *
 *   npm run bench:cell-click -- [--images 10000] [--classes 10] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { synthesiseRuns } from '../electron/node/storage/testing/syntheticRuns.js';
import { launchChromium, quantile, serveStudio } from './studio.js';

const TARGET_MS = 150;

const { values } = parseArgs({
  options: { images: { type: 'string', default: '10000' }, classes: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } },
});
const valImages = Number(values.images);
const classCount = Number(values.classes);
const log = (line: string) => values.json || console.error(line);

/**
 * The in-page timer, as source text: tsx would wrap a function written here in helpers that do not
 * exist in the page. Clicks a cell and resolves on the first animation frame where the cell's images
 * are all decoded.
 */
const timeCellScript = `
window.timeCell = (cell, expected) => new Promise((resolve, reject) => {
  const button = document.querySelector('[data-testid="' + cell + '"]');
  const t0 = performance.now();
  button.click();
  const give = setTimeout(() => reject(new Error(cell + ': images not visible after 10 s')), 10000);
  const check = () => {
    const panel = document.querySelector('[data-testid="cell-images"]');
    const images = panel ? Array.from(panel.querySelectorAll('[data-testid="image-tile"] img')) : [];
    if (images.length === expected && images.every((img) => img.complete && img.naturalWidth > 0)) {
      clearTimeout(give);
      resolve(performance.now() - t0);
    } else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
});`;

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-cell-click-'));
const workspace = path.join(root, 'workspace');
const started = performance.now();
const [runId] = await synthesiseRuns(workspace, { valImages, classes: classCount, runs: [{ name: 'cell-click bench', accuracy: 0.6, seed: 7 }] });
log(`synthesised ${valImages} validation images in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const { url, child } = await serveStudio(workspace);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 840 } });
  await page.goto(url);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Inspect', exact: true }).click();
  await page.getByTestId('confusion-matrix').waitFor();

  await page.evaluate(timeCellScript);
  const clickCell = (cell: string, expected: number) =>
    page.evaluate(([cell, expected]) => (globalThis as unknown as { timeCell(c: string, e: number): Promise<number> }).timeCell(cell, expected), [cell, expected] as const);

  const cells = await page.getByTestId('confusion-matrix').locator('button[data-cell]').evaluateAll((buttons) =>
    buttons.map((b) => ({ id: b.getAttribute('data-testid')!, count: Number(b.textContent) })),
  );
  const page1 = (count: number) => Math.min(count, 120);
  const [warmUp, ...measured] = cells.filter((c) => c.count > 0);
  await clickCell(warmUp!.id, page1(warmUp!.count));
  const times: number[] = [];
  for (const cell of measured) {
    times.push(await clickCell(cell.id, page1(cell.count)));
    log(`${cell.id}: ${cell.count} images, ${times.at(-1)!.toFixed(1)} ms`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result = {
    bench: 'cell-click',
    run: runId,
    validation_images: valImages,
    classes: classCount,
    cells: times.length,
    images_per_cell_shown: `min(count, 120)`,
    median_ms: +quantile(sorted, 0.5).toFixed(1),
    p95_ms: +quantile(sorted, 0.95).toFixed(1),
    min_ms: +sorted[0]!.toFixed(1),
    max_ms: +sorted.at(-1)!.toFixed(1),
    target_ms: TARGET_MS,
    within_target: quantile(sorted, 0.95) <= TARGET_MS,
    browser: browser.version(),
  };
  console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  child.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
}
