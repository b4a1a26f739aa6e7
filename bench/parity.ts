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
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import type { Db } from '../electron/node/storage/db.js';
import { getRunRow, runImages, snapshotHasColour, type Split } from '../electron/node/storage/runs.js';
import { cachedPixels } from '../electron/node/storage/trainingCache.js';
import { ensureTrainingCache } from '../electron/node/training/cache.js';
import { convertChannels } from '../electron/node/training/pixels.js';
import { isInitScheme, type InitScheme } from '../ml/model/index.js';
import { cifarMini, defaultRecipe, openStudioBench, summary, trainAndTest } from './studioRuns.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    folder: { type: 'string', default: cifarMini },
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
const initOption = values.init!;
const torchInit = values['torch-init'] ?? initOption;
if (!isInitScheme(initOption) || !isInitScheme(torchInit)) throw new Error(`--init: "${initOption}" / "${torchInit}" is not msra, pytorch or zero-gamma`);
const init: InitScheme = initOption;
const seeds = values.seeds!.split(',').map(Number);
const imageSize = Number(values['image-size']);
const epochs = Number(values.epochs);
const threads = Number(values.threads);


/** The studio's exact training and test pixels, for the PyTorch twin. */
async function writePixels(db: Db, runId: number, dataFolder: string): Promise<void> {
  const run = getRunRow(db, runId)!;
  const channels = snapshotHasColour(db, runId) ? 3 : 1;
  mkdirSync(dataFolder, { recursive: true });
  for (const split of ['train', 'test'] as Split[]) {
    const images = runImages(db, runId, split);
    await ensureTrainingCache(db, images.map((i) => i.imageId), imageSize, 'squash');
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

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  const bench = await openStudioBench(values.folder!, { threads, ...(values.keep ? { keep: values.keep } : {}) });
  log(`imported ${bench.images} images from ${values.folder}`);
  const studio: { seed: number; testAccuracy: number; seconds: number }[] = [];
  const torch: Record<string, unknown>[] = [];
  const python = values['no-torch'] ? null : torchPython();
  try {
    for (const seed of seeds) {
      const config = { ...defaultRecipe, model: values.model!, imageSize, epochs, weightDecay: 5e-4, seed, init };
      if (!values['no-studio']) {
        const result = await trainAndTest(bench, config, `parity seed ${seed}`);
        studio.push({ seed, testAccuracy: result.testAccuracy, seconds: result.seconds });
        log(`studio seed ${seed}: ${(result.testAccuracy * 100).toFixed(2)} %`);
        if (python && torch.length === 0) await writePixels(bench.db, result.runId, path.join(bench.root, 'pixels'));
      } else if (python && torch.length === 0) {
        // The snapshot of a run that is created, stopped at once, and used only for its pixels.
        const run = bench.manager.create(runConfigSchema.parse(config), 'parity pixels');
        bench.manager.stop(run.id);
        await bench.manager.waitFor(run.id);
        await writePixels(bench.db, run.id, path.join(bench.root, 'pixels'));
      }
      if (python) {
        const args = [path.join(here, 'torch_train.py'), '--data', path.join(bench.root, 'pixels'), '--variant', values.model!, '--epochs', String(epochs),
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
    await bench.close();
  }
  const s = studio.length ? summary(studio.map((r) => r.testAccuracy)) : null;
  const t = torch.length ? summary(torch.map((r) => r.test_accuracy as number)) : null;
  const report = {
    benchmark: 'parity',
    folder: values.folder,
    images: bench.images,
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
