/**
 * Inspect-view latency: the time from clicking a confusion-matrix cell to its images being visible
 * (every thumbnail of the cell's first page decoded) in Chromium, on a run with a 10,000-image
 * validation split. The workspace is synthesised straight through the storage modules (image rows, a
 * tiny thumbnail shared per class, a completed run, its snapshot and one prediction per image), then
 * served by `attention-studio serve` from the built output (run `npm run build` first) and driven
 * with Playwright. Each cell is clicked once (no thumbnail is cached from an earlier click).
 *
 *   npm run bench:cell-click -- [--images 10000] [--classes 10] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import sharp from 'sharp';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { ensureClass } from '../electron/node/storage/classes.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { insertImage } from '../electron/node/storage/images.js';
import { createRunWithSnapshot, recordEpoch, replacePredictions, snapshotClasses, updateRun, type StoredPrediction } from '../electron/node/storage/runs.js';
import { insertThumbnail } from '../electron/node/storage/thumbnails.js';

const TARGET_MS = 150;

const { values } = parseArgs({
  options: { images: { type: 'string', default: '10000' }, classes: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } },
});
const valImages = Number(values.images);
const classCount = Number(values.classes);
const log = (line: string) => values.json || console.error(line);

/** A deterministic pseudo-random stream (mulberry32), so every run of the bench sees the same matrix. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function synthesise(workspace: string): Promise<number> {
  const classes = Array.from({ length: classCount }, (_, k) => `class_${k}`);
  const thumbnails = await Promise.all(
    classes.map((_, k) => sharp({ create: { width: 16, height: 16, channels: 3, background: `hsl(${Math.round((360 * k) / classCount)}, 55%, 55%)` } }).png().toBuffer()),
  );
  const db = openWorkspaceDb(workspace);
  try {
    const next = random(7);
    // A few training images per class so the snapshot looks like a real one; the split under test is val.
    const trainPerClass = 20;
    db.transaction(() => {
      const ids = classes.map((name) => ensureClass(db, name));
      const total = valImages + trainPerClass * classCount;
      for (let i = 0; i < total; i++) {
        const k = i % classCount;
        const file = `synth_${String(i).padStart(6, '0')}.png`;
        const id = insertImage(db, {
          contentHash: `cell-click-${i}`,
          sourcePath: `/synthetic/${classes[k]}/${file}`,
          fileName: file,
          format: 'png',
          width: 16,
          height: 16,
          channels: 3,
          hasAlpha: false,
          bytes: thumbnails[k]!.length,
          importedAt: 1_700_000_000_000 + i,
          classId: ids[k]!,
          split: i < valImages ? 'val' : 'train',
        })!;
        insertThumbnail(db, { image_id: id, mime: 'image/png', width: 16, height: 16, data: thumbnails[k]! });
      }
    })();
    const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 1, batchSize: 50 });
    const runId = createRunWithSnapshot(db, 'cell-click bench', config, snapshotClasses(db));
    const snapshot = db.prepare('SELECT image_id AS imageId, class_index AS label FROM run_images WHERE run_id = ? AND split = ?').all(runId, 'val') as { imageId: number; label: number }[];
    // About 60 % right; the rest spread over the other classes, so every cell has images.
    const predictions: StoredPrediction[] = snapshot.map(({ imageId, label }) => {
      const predicted = next() < 0.6 ? label : (label + 1 + Math.floor(next() * (classCount - 1))) % classCount;
      const confidence = 0.3 + 0.7 * next();
      const probabilities = new Float32Array(classCount).fill((1 - confidence) / (classCount - 1));
      probabilities[predicted] = confidence;
      return { imageId, label, predicted, confidence, loss: -Math.log(probabilities[label]!), probabilities };
    });
    replacePredictions(db, runId, 'val', predictions);
    recordEpoch(db, runId, { epoch: 1, step: 4, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.6, valLoss: 1, valAccuracy: 0.6, trainSeconds: 1, imagesPerSecond: 200, confusion: null });
    updateRun(db, runId, { status: 'completed', epochsDone: 1, finishedAt: Date.now() });
    return runId;
  } finally {
    db.close();
  }
}

async function serve(workspace: string) {
  const child = spawn(process.execPath, ['bin/attention-studio.js', 'serve', '--json', '--workspace', workspace], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ATTENTION_STUDIO_HOME: path.join(workspace, '.home') },
  });
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} (run \`npm run build\` first)`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, child };
}

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

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  return sorted[low]! + (sorted[Math.min(sorted.length - 1, low + 1)]! - sorted[low]!) * (position - low);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-cell-click-'));
const workspace = path.join(root, 'workspace');
const started = performance.now();
const runId = await synthesise(workspace);
log(`synthesised ${valImages} validation images in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const { url, child } = await serve(workspace);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
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
