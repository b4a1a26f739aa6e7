/**
 * Trains a Residual Attention Network on Fashion-MNIST (Debian's dataset-fashion-mnist) and reports
 * test accuracy and wall time as JSON: the engine issue's accuracy figure.
 *
 *   npm run bench:fashion-mnist -- --model lite-32 --epochs 4 [--batch-size 128] [--lr 0.1]
 *     [--max-minutes 30] [--backend wasm] [--threads 2] [--train-limit N] [--unfused] [--json]
 *
 * Recipe (spec §4.3): SGD with Nesterov momentum 0.9, weight decay 5e-4, cosine schedule with 10 %
 * warm-up, pad-2 random crop and horizontal flip (Fashion-MNIST only), per-channel normalisation from
 * the training split. The last 5,000 training images are held out for validation; the 10,000 test
 * images are evaluated once, at the end (no selection on test, spec §7.5).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, isBackendName } from '../ml/engine/backends.js';
import { fashionMnistClasses, loadFashionMnist } from '../ml/data/idx.js';
import { fuseBatchNormRelu } from '../ml/layers/fuseBatchNormRelu.js';
import { buildModel, countParams, isVariantName } from '../ml/model/index.js';
import { hasFusedBatchNormRelu } from '../ml/wasm/batchNormRelu.js';
import { InMemoryDataSource } from '../ml/train/dataSource.js';
import { evaluateSource } from '../ml/train/evaluate.js';
import { Trainer } from '../ml/train/trainer.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lite-32' },
    epochs: { type: 'string', default: '4' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    'weight-decay': { type: 'string', default: '5e-4' },
    'max-minutes': { type: 'string', default: '30' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    'train-limit': { type: 'string' },
    seed: { type: 'string', default: '1' },
    unfused: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const model = values.model!;
if (!isVariantName(model)) throw new Error(`--model: unknown variant "${model}"`);
if (!isBackendName(values.backend)) throw new Error(`--backend: unknown backend "${values.backend}"`);
const epochs = Number(values.epochs);
const batchSize = Number(values['batch-size']);
const maxSeconds = Number(values['max-minutes']) * 60;
const log = (line: string) => process.stderr.write(`${line}\n`);

const backend = await initBackend(values.backend, values.threads ? { threads: Number(values.threads) } : {});
log(`backend: ${backend.name} (${backend.detail})`);

const train = loadFashionMnist('train');
const test = loadFashionMnist('test');
const shape = [train.height, train.width, 1] as const;
const all = new InMemoryDataSource({ images: train.images, labels: train.labels, imageShape: shape, numClasses: 10 });
const heldOut = 5000;
const trainCount = Math.min(values['train-limit'] ? Number(values['train-limit']) : train.count - heldOut, train.count - heldOut);
const trainSource = all.subset(Int32Array.from({ length: trainCount }, (_, i) => i));
const valSource = all.subset(Int32Array.from({ length: heldOut }, (_, i) => train.count - heldOut + i));
const testSource = new InMemoryDataSource({ images: test.images, labels: test.labels, imageShape: shape, numClasses: 10 });

const built = buildModel(model, { inputShape: [...shape], numClasses: fashionMnistClasses.length });
// As the studio trains: fused BatchNorm+ReLU layers where the backend has the kernels (--unfused: stock layers).
const fused = !values.unfused && hasFusedBatchNormRelu();
const network = fused ? fuseBatchNormRelu(built) : built;
log(`${model}: ${countParams(network)} parameters; ${trainCount} train / ${heldOut} validation / ${test.count} test images`);

const started = performance.now();
const trainer = new Trainer({
  model: network,
  train: trainSource,
  validation: valSource,
  config: {
    epochs,
    batchSize,
    optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: Number(values['weight-decay']) },
    schedule: { kind: 'cosine', baseLearningRate: Number(values.lr), warmup: { fraction: 0.1 } },
    augmentation: { padding: 2, horizontalFlip: true },
    seed: Number(values.seed),
    dropLastBatch: true,
  },
  onBatch: (p) => {
    if (p.batch % 50 === 0) {
      log(`epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batchesPerEpoch} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} lr ${p.learningRate.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} img/s eta ${Math.round(p.etaSeconds)} s`);
    }
    if ((performance.now() - started) / 1000 > maxSeconds) trainer.stop();
  },
  onEpoch: (report) => {
    log(`epoch ${report.epoch}: train loss ${report.trainLoss.toFixed(3)} acc ${report.trainAccuracy.toFixed(4)}; validation acc ${report.validation?.accuracy.toFixed(4)} (${report.trainSeconds.toFixed(0)} s)`);
  },
});
const outcome = await trainer.run();
const trainSeconds = (performance.now() - started) / 1000;
const evaluation = await evaluateSource(network, testSource, { batchSize: 256, normalization: trainer.normalization! });
const result = {
  dataset: 'fashion-mnist',
  model,
  parameters: countParams(network),
  fusedBatchNormRelu: fused,
  backend: backend.name,
  threads: backend.threads,
  epochsCompleted: outcome.position.epoch,
  epochsPlanned: epochs,
  status: outcome.status,
  batchSize,
  trainImages: trainCount,
  trainSeconds: Math.round(trainSeconds),
  trainMinutes: +(trainSeconds / 60).toFixed(1),
  testAccuracy: +evaluation.accuracy.toFixed(4),
  testLoss: +evaluation.loss.toFixed(4),
  numTensors: tf.memory().numTensors,
};
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
