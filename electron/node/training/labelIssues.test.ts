/**
 * The likely-mislabelled queue on data a model learns within the test: striped images, vertical vs
 * horizontal, with 10 % of the files put in the wrong class folder. Ranked by confident learning over
 * out-of-sample (validation) predictions, the top of the queue must hold flipped images at least three
 * times as often as the flip rate, and suggest their true class.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers } from '../services/index.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { setSplitRatios } from '../storage/splits.js';

const SIZE = 16;
const PER_CLASS = 200;
const FLIP_RATE = 0.1;
let root: string;
let db: Db;
const flippedNames = new Set<string>();

/** Stripes of a random period phase, with pixel noise: the orientation is the class. */
function stripes(vertical: boolean, seed: number): Buffer {
  let state = seed * 2654435761 >>> 0;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const phase = Math.floor(random() * 4);
  const pixels = Buffer.alloc(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const on = ((vertical ? x : y) + phase) % 4 < 2;
      pixels[y * SIZE + x] = Math.max(0, Math.min(255, (on ? 200 : 50) + Math.round((random() - 0.5) * 80)));
    }
  }
  return pixels;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-issues-'));
  const data = path.join(root, 'data');
  for (const name of ['vertical', 'horizontal']) mkdirSync(path.join(data, name), { recursive: true });
  for (let i = 0; i < 2 * PER_CLASS; i++) {
    const vertical = i % 2 === 0;
    // One image in ten, alternating between the two classes.
    const flip = i % 20 === 3 || i % 20 === 8;
    const folder = vertical !== flip ? 'vertical' : 'horizontal';
    const name = `img${String(i).padStart(4, '0')}.png`;
    if (flip) flippedNames.add(name);
    await sharp(stripes(vertical, i + 1), { raw: { width: SIZE, height: SIZE, channels: 1 } }).png().toFile(path.join(data, folder, name));
  }
  const workspace = path.join(root, 'workspace');
  db = openWorkspaceDb(workspace);
  // Half the images held out: their predictions are out-of-sample, which confident learning needs.
  setSplitRatios(db, { train: 0.5, val: 0.5, test: 0 });
  const report = await importImages(db, { folder: data, workspace });
  expect(report.imported).toBe(2 * PER_CLASS);
});

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

it('ranks flipped labels at the top of the likely-mislabelled queue, suggesting the true class', async () => {
  const events = new EventHub();
  const ctx = { mode: 'cli' as const, workspace: path.join(root, 'workspace'), events, forcedBackend: 'wasm' as const };
  const call = createDispatcher(createHandlers(ctx));
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: SIZE, epochs: 4, batchSize: 25, learningRate: 0.05, augmentation: { padding: 0, horizontalFlip: false } });
  const finished = new Promise<void>((resolve) => events.subscribe((event, p) => event === 'run.status' && (p as { status: string }).status === 'completed' && resolve()));
  const run = (await call('createRun', { config })) as { id: number; classNames: string[] };
  await finished;

  const evaluation = (await call('evaluateRun', { runId: run.id, split: 'val' })) as { images: number; accuracy: number };
  const issues = (await call('labelIssues', { runId: run.id, split: 'val', limit: 5000 })) as { fileName: string; label: number; suggested: number }[];
  const flippedInVal = issues.length === 0 ? 0 : [...flippedNames].length * (evaluation.images / (2 * PER_CLASS));
  const top = issues.slice(0, Math.max(5, Math.round(flippedInVal)));
  const hits = top.filter((issue) => flippedNames.has(issue.fileName));
  expect(top.length).toBeGreaterThan(0);
  expect(hits.length / top.length).toBeGreaterThanOrEqual(3 * FLIP_RATE);
  for (const hit of hits) expect(hit.suggested).not.toBe(hit.label);
  if (process.env.STUDIO_TEST_VERBOSE) console.log({ accuracy: evaluation.accuracy, top: top.length, hits: hits.length, issues: issues.length });
}, 240_000);
