/**
 * Dataset-grid latency at scale, in Chromium: a workspace with 100,000 synthesised images (rows and a
 * shared thumbnail per class, see e2e/datasetSynth.ts), served from the built output (`npm run build`
 * first). Measured in the page's own clock: navigation to the first thumbnail on screen, a class-filter
 * click to that class's first thumbnail, and the End key to the last image's cell. Each figure is the
 * median over `--repeats` fresh page loads.
 *
 *   npm run bench:grid -- [--images 100000] [--repeats 3] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { synthesiseImages, synthFileName } from '../e2e/datasetSynth.js';
import { launchChromium, quantile, serveStudio } from './studio.js';

const TARGET_MS = 1000;

const { values } = parseArgs({
  options: { images: { type: 'string', default: '100000' }, repeats: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
});
const total = Number(values.images);
const repeats = Number(values.repeats);
const classes = Array.from({ length: 10 }, (_, k) => `c${k}`);
const log = (line: string) => values.json || console.error(line);

/** In the page before the app: when each grid thumbnail is on screen, and its cell's label (as source text). */
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

function firstThumbnailAfter(since: number, label: string | null): string {
  return `Math.min(...window.thumbLoads.filter((t) => t.at >= ${since} && (${JSON.stringify(label)} === null || t.label === ${JSON.stringify(label)})).map((t) => t.at)) - ${since}`;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-grid-'));
const workspace = path.join(root, 'workspace');
const started = performance.now();
await synthesiseImages(workspace, { total, classes });
log(`synthesised ${total} images in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const { url, child } = await serveStudio(workspace);
const browser = await launchChromium();
try {
  const firstPage: number[] = [];
  const filter: number[] = [];
  const end: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 840 } });
    await page.addInitScript(recordThumbnailLoads);
    await page.goto(url);
    const cells = page.getByTestId('image-cell');
    await cells.first().locator('img').waitFor();
    firstPage.push((await page.evaluate(firstThumbnailAfter(0, null))) as number);

    const clickedAt = (await page.evaluate('performance.now()')) as number;
    await page.getByTestId('class-c7').click();
    await page.locator('[data-testid="image-cell"] [data-testid="image-label"]', { hasText: 'c7' }).first().waitFor();
    await page.waitForFunction(`window.thumbLoads.some((t) => t.at >= ${clickedAt} && t.label === 'c7')`);
    filter.push((await page.evaluate(firstThumbnailAfter(clickedAt, 'c7'))) as number);

    await page.getByTestId('class-all').click();
    await page.getByTestId('filter-count').filter({ hasText: `${total.toLocaleString('en-US')} images` }).waitFor();
    await cells.first().click();
    const endAt = (await page.evaluate('performance.now()')) as number;
    await page.getByRole('grid', { name: 'Images' }).press('End');
    await page.getByTitle(new RegExp(`^${synthFileName(total - 1)} `)).locator('img').waitFor({ timeout: 60_000 });
    end.push(((await page.evaluate('performance.now()')) as number) - endAt);
    log(`load ${r + 1}: first page ${firstPage.at(-1)!.toFixed(0)} ms, filter ${filter.at(-1)!.toFixed(0)} ms, End ${end.at(-1)!.toFixed(0)} ms`);
    await page.close();
  }
  const median = (xs: number[]) => +quantile([...xs].sort((a, b) => a - b), 0.5).toFixed(0);
  const result = {
    bench: 'grid',
    images: total,
    repeats,
    first_page_ms: median(firstPage),
    class_filter_ms: median(filter),
    end_key_ms: median(end),
    target_first_page_ms: TARGET_MS,
    within_target: median(firstPage) <= TARGET_MS,
    browser: browser.version(),
  };
  console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  child.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
}
