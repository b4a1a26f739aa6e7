/**
 * The studio against PyTorch on the same data, split and recipe: held-out accuracy over several seeds.
 *
 *   npm run bench:parity -- --json [--folder DIR] [--model lite-32] [--image-size 32] [--epochs 15]
 *     [--seeds 1,2,3] [--init msra|pytorch|zero-gamma] [--torch-init SCHEME] [--threads 2]
 *     [--no-torch] [--no-studio] [--keep DIR]
 *
 * The folder (default: the CIFAR-10 mini set beside the repository; any folder of class subfolders) is
 * imported into a fresh workspace as a user imports it, with the splits set to 80 % train and 20 % test
 * (no validation: nothing is tuned on it). The studio trains each seed as a run of its own (the training
 * worker, the label snapshot, the default recipe: SGD Nesterov 0.9, peak rate 0.1, cosine with 10 %
 * warm-up, weight decay 5e-4, batch 64, pad-4 crop and flip) and evaluates the test split. The PyTorch
 * twin (bench/torch_train.py, the network of bench/torch_ran.py) trains on the very pixels the studio
 * trained on, read from the workspace's training cache, with the same recipe and the same
 * initialisation scheme (`--torch-init` to change it), and is tested on the same images.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { EventHub } from '../electron/node/events.js';
import { importImages } from '../electron/node/import/importer.js';
import { openWorkspaceDb, type Db } from '../electron/node/storage/db.js';
import { getRunRow, runImages, snapshotHasColour, type Split } from '../electron/node/storage/runs.js';
import { setSplitRatios } from '../electron/node/storage/splits.js';
import { cachedPixels } from '../electron/node/storage/trainingCache.js';
import { ensureTrainingCache } from '../electron/node/training/cache.js';
import { InferenceClient } from '../electron/node/training/inferenceClient.js';
import { convertChannels } from '../electron/node/training/pixels.js';
import { RunManager } from '../electron/node/training/runManager.js';
import { isInitScheme } from '../ml/model/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    folder: { type: 'string', default: path.resolve(here, '../../shared/datasets/cifar10-mini') },
    model: { type: 'string', default: 'lite-32' },
    'image-size': { type: 'string', default: '32' },
    epochs: { type: 'string', default: '15' },
    seeds: { type: 'string', default: '1,2,3' },
    init: { type: 'string', default: 'msra' },
    'torch-init': { type: 'string' },
    threads: { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
    'no-studio': { type: 'boolean', default: false },
    keep: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const init = values.init!;
const torchInit = values['torch-init'] ?? init;
if (!isInitScheme(init) || !isInitScheme(torchInit)) throw new Error(`--init: "${init}" / "${torchInit}" is not msra, pytorch or zero-gamma`);
const seeds = values.seeds!.split(',').map(Number);
const imageSize = Number(values['image-size']);
const epochs = Number(values.epochs);
const threads = Number(values.threads);

const root = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(os.tmpdir(), 'parity-'));
const workspace = path.join(root, 'workspace');
const dataFolder = path.join(root, 'pixels');

/** The studio's exact training and test pixels, for the PyTorch twin. */
async function writePixels(db: Db, runId: number): Promise<void> {
  const run = getRunRow(db, runId)!;
  const channels = snapshotHasColour(db, runId) ? 3 : 1;
  mkdirSync(dataFolder, { recursive: true });
  for (const split of ['train', 'test'] as Split[]) {
    const images = runImages(db, runId, split);
    await ensureTrainingCache(db, images.map((i) => i.imageId), imageSize);
    const size = imageSize * imageSize * channels;
    const pixels = new Uint8Array(images.length * size);
    images.forEach((image, i) => {
      const cached = cachedPixels(db, image.imageId, imageSize)!;
      convertChannels(new Uint8Array(cached.data), cached.channels, channels, pixels, i * size);
    });
    writeFileSync(path.join(dataFolder, `${split}.bin`), pixels);
    writeFileSync(
      path.join(dataFolder, `${split}.json`),
      JSON.stringify({ count: images.length, height: imageSize, width: imageSize, channels, classes: run.classNames, labels: images.map((i) => i.classIndex) }),
    );
  }
}

function torchPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return python;
  }
  return null;
}

function stats(accuracies: number[]): { mean: number; sd: number; se: number } {
  const n = accuracies.length;
  const mean = accuracies.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean: round4(mean), sd: round4(sd), se: round4(sd / Math.sqrt(n)) };
}
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  const db = openWorkspaceDb(workspace);
  const imported = await importImages(db, { folder: path.resolve(values.folder!), workspace });
  setSplitRatios(db, { train: 0.8, val: 0, test: 0.2 });
  log(`imported ${imported.imported} images from ${values.folder}`);
  const hub = new EventHub();
  const manager = new RunManager(db, workspace, hub, { threads });
  const inference = new InferenceClient(workspace, { threads });
  const studio: { seed: number; testAccuracy: number; trainSeconds: number; backend: string | null }[] = [];
  const torch: Record<string, unknown>[] = [];
  const python = values['no-torch'] ? null : torchPython();
  let pixelsWritten = false;
  try {
    for (const seed of seeds) {
      const config = runConfigSchema.parse({
        model: values.model, imageSize, epochs, batchSize: 64, learningRate: 0.1, weightDecay: 5e-4, schedule: 'cosine',
        warmupFraction: 0.1, augmentation: { padding: 4, horizontalFlip: true }, seed, init, backend: 'wasm',
      });
      const run = manager.create(config, `parity seed ${seed}`);
      if (!pixelsWritten && python) {
        await writePixels(db, run.id);
        pixelsWritten = true;
      }
      if (!values['no-studio']) {
        const started = performance.now();
        const outcome = await manager.waitFor(run.id);
        if (outcome.type !== 'finished') throw new Error(`studio run for seed ${seed} ended: ${JSON.stringify(outcome)}`);
        const evaluation = await inference.evaluate(run.id, 'test');
        studio.push({ seed, testAccuracy: evaluation.accuracy, trainSeconds: Math.round((performance.now() - started) / 100) / 10, backend: manager.get(run.id).backend });
        log(`studio seed ${seed}: ${(evaluation.accuracy * 100).toFixed(2)} %`);
      } else {
        manager.stop(run.id);
        await manager.waitFor(run.id);
      }
      if (python) {
        const args = [path.join(here, 'torch_train.py'), '--data', dataFolder, '--variant', values.model!, '--epochs', String(epochs),
          '--seed', String(seed), '--init', torchInit, '--threads', String(threads)];
        const result = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24, cwd: here });
        const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
        if (result.status !== 0 || !line) throw new Error(`torch seed ${seed} failed: ${result.stderr.slice(-1500)}`);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        torch.push(parsed);
        log(`pytorch seed ${seed}: ${((parsed.test_accuracy as number) * 100).toFixed(2)} %`);
      }
    }
  } finally {
    await inference.close();
    await manager.close();
    db.close();
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
  const s = studio.length ? stats(studio.map((r) => r.testAccuracy)) : null;
  const t = torch.length ? stats(torch.map((r) => r.test_accuracy as number)) : null;
  const report = {
    benchmark: 'parity',
    folder: values.folder,
    images: imported.imported,
    model: values.model,
    imageSize,
    epochs,
    recipe: 'SGD Nesterov 0.9, lr 0.1 cosine with 10 % warm-up, weight decay 5e-4 (kernels), batch 64, pad-4 crop + flip; 80 % train / 20 % test',
    studio: s ? { init, runs: studio, ...s } : null,
    pytorch: t ? { init: torchInit, runs: torch, ...t } : null,
    difference: s && t ? { studioMinusPytorch: round4(s.mean - t.mean), standardError: round4(Math.sqrt(s.se ** 2 + t.se ** 2)) } : null,
  };
  process.stdout.write(`${JSON.stringify(report, null, values.json ? 0 : 2)}\n`);
}

await main();
