/**
 * The export's checker judges files the way a stranger's runtime would: it runs where the studio's
 * layers are not registered, so a model.json that needs them fails there (while it loads here, where
 * they are), and it follows preprocessing.json literally, so a wrong scale in it fails the check.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectLayerClassNames } from '../../../ml/export/projectLayers.js';
import { toStandardLayers } from '../../../ml/export/standardLayers.js';
// Every module that registers layers with tfjs: the model's and the inference graph's.
import '../../../ml/infer/inferenceModel.js';
import { fuseBatchNormRelu } from '../../../ml/layers/fuseBatchNormRelu.js';
import { buildModel } from '../../../ml/model/index.js';
import { fileSystemIO } from '../../../ml/model/io.js';
import { useCpuBackend } from '../../../ml/model/testing.js';
import { imagesToTensor } from '../../../ml/train/preprocess.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { ExportChecker } from './check.js';
import { preprocessingDocument } from './preprocessing.js';

vi.setConfig({ testTimeout: 120_000 });

const SIZE = 8;
const COUNT = 20;
const CLASSES = 4;
const stats = { mean: [0.45, 0.5, 0.4], std: [0.25, 0.2, 0.3] };

let root: string;
let model: tf.LayersModel;
let pixels: Uint8Array;
let expected: { predicted: Int32Array; probabilities: Float32Array };

function writePreprocessing(folder: string, overrides: Record<string, unknown> = {}): void {
  const doc = preprocessingDocument({ imageSize: SIZE, channels: 3, resizePolicy: 'squash', ...stats, variant: 'lite-16', runId: 1, classes: CLASSES, onnxInput: 'image', onnxOutput: 'logits', formats: ['tfjs'] });
  writeFileSync(path.join(folder, 'preprocessing.json'), JSON.stringify({ ...doc, ...overrides }));
}

async function check(folder: string) {
  const checker = new ExportChecker({ folder, formats: ['tfjs'], classes: CLASSES });
  try {
    await checker.check({ pixels, count: COUNT, ...expected });
    return await checker.finish();
  } finally {
    await checker.close();
  }
}

beforeAll(async () => {
  await useCpuBackend();
  root = tempDir('studio-export-check-');
  // A network trained on the wasm backend holds all three of the project's layers.
  const built = buildModel('lite-16', { inputShape: [SIZE, SIZE, 3], numClasses: CLASSES, maskActivation: 'spatial' });
  model = fuseBatchNormRelu(built);
  built.dispose();
  pixels = Uint8Array.from({ length: COUNT * SIZE * SIZE * 3 }, (_, i) => (i * 37 + (i >> 5) * 11) % 256);
  // Untrained, the pooled features are huge and every softmax saturates at 0 or 1; scale the
  // classifier so the probabilities respond to the input, as a trained model's do.
  const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('head_pool').output as tf.SymbolicTensor });
  const scale = tf.tidy(() => tf.max(tf.abs(features.predict(imagesToTensor(pixels, COUNT, [SIZE, SIZE, 3], stats)) as tf.Tensor)).dataSync()[0]!);
  const classifier = model.getLayer('classifier');
  const [kernel, bias] = classifier.getWeights();
  classifier.setWeights([tf.div(kernel!, scale / 3), bias!]);
  const probabilities = tf.tidy(() => tf.softmax(model.predict(imagesToTensor(pixels, COUNT, [SIZE, SIZE, 3], stats)) as tf.Tensor));
  const values = (await probabilities.data()) as Float32Array;
  probabilities.dispose();
  const predicted = Int32Array.from({ length: COUNT }, (_, i) => {
    const row = values.subarray(i * CLASSES, (i + 1) * CLASSES);
    return row.indexOf(Math.max(...row));
  });
  expected = { predicted, probabilities: values };
});
afterAll(() => {
  model?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('the export checker', () => {
  it("knows exactly the layer classes the studio registers beside stock tfjs's", async () => {
    const here = Object.keys(tf.serialization.SerializationMap.getMap().classNameMap);
    const stock = await new Promise<string[]>((resolve, reject) => {
      const worker = new Worker(
        "const tf = require('@tensorflow/tfjs'); require('node:worker_threads').parentPort.postMessage(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));",
        { eval: true },
      );
      worker.once('message', (names: string[]) => void worker.terminate().then(() => resolve(names)));
      worker.once('error', reject);
    });
    expect(here.filter((name) => !stock.includes(name)).sort()).toEqual([...projectLayerClassNames].sort());
  });

  it("refuses a model.json that needs the studio's layers, which loads only where they are registered", async () => {
    const folder = path.join(root, 'custom');
    await model.save(fileSystemIO(folder));
    writePreprocessing(folder);
    const loadedHere = await tf.loadLayersModel(fileSystemIO(folder));
    loadedHere.dispose();
    await expect(check(folder)).rejects.toThrow(/Unknown layer: (BatchNormRelu|ResizeToReference|MaskActivation)/);
  });

  it('passes the same network rewritten to stock layers, with the studio’s predictions', async () => {
    const folder = path.join(root, 'standard');
    mkdirSync(folder, { recursive: true });
    const standard = toStandardLayers(model);
    await standard.save(fileSystemIO(folder));
    standard.dispose();
    writePreprocessing(folder);
    const [result] = await check(folder);
    expect(result).toMatchObject({ format: 'tfjs', images: COUNT, samePredictions: COUNT });
    expect(result!.maxProbabilityDifference).toBeLessThan(1e-5);
  });

  it('fails a preprocessing.json that skips the 1/255 scale (mean and std are on 0..1)', async () => {
    const folder = path.join(root, 'standard');
    writePreprocessing(folder, { scale: 1 });
    const [result] = await check(folder);
    expect(result!.maxProbabilityDifference).toBeGreaterThan(1e-2);
  });
});
