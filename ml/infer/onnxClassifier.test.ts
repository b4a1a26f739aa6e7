/**
 * ONNX Runtime as the studio's CPU inference engine: it stands in for the tfjs inference graph only
 * where the two agree, evaluations through it give the same probabilities and losses, and a GPU backend
 * or the user's choice keeps tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { buildModel } from '../model/index.js';
import { useCpuBackend } from '../model/testing.js';
import { predictSource } from '../train/evaluate.js';
import { InMemoryDataSource, type ImageShape } from '../train/dataSource.js';
import { withSeededMathRandom } from '../train/random.js';
import { pseudoRandom } from '../wasm/testing.js';
import { compareClassifiers, crossEntropyRows, softmaxRows, TfjsClassifier, type Classifier } from './classifier.js';
import { perturbBatchNorms } from './testing.js';
import { buildInferenceModel } from './inferenceModel.js';
import { AGREEMENT_TOLERANCE, chooseClassifier, OnnxClassifier } from './onnxClassifier.js';

const shape: ImageShape = [16, 16, 3];
const normalization = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
let trained: tf.LayersModel;
let inference: tf.LayersModel;

function images(count: number, seed: number): Uint8Array {
  return Uint8Array.from(pseudoRandom(count * shape[0] * shape[1] * shape[2], seed), (v) => Math.floor(((v + 1) / 2) * 255.99));
}

beforeAll(async () => {
  await useCpuBackend();
  const built = withSeededMathRandom(3, () => buildModel('lite-16', { inputShape: [...shape], numClasses: 6 }));
  perturbBatchNorms(built);
  // Logits of a few units, as a trained classifier gives (untrained, with these statistics, they are in the hundreds).
  const classifier = built.layers.filter((l) => l.getClassName() === 'Dense').at(-1)!;
  const [kernel, bias] = classifier.getWeights();
  const scaled = tf.mul(kernel!, 0.002);
  classifier.setWeights([scaled, bias!]);
  scaled.dispose();
  trained = fuseBatchNormRelu(built);
  if (trained !== built) built.dispose();
  inference = await buildInferenceModel(trained);
});

afterAll(() => {
  inference?.dispose();
  trained?.dispose();
});

describe('ONNX Runtime beside the tfjs inference graph', () => {
  it('gives the logits the trained network gives, image for image', async () => {
    const onnx = await OnnxClassifier.create(inference, shape, normalization, 1);
    const tfjs = new TfjsClassifier(trained, shape, normalization);
    try {
      expect(onnx.engine).toMatch(/^ONNX Runtime \d+\.\d+\.\d+ \(CPU, 1 thread\)$/);
      const agreement = await compareClassifiers(tfjs, onnx, images(20, 5), 20);
      expect(agreement.sameTop1).toBe(20);
      expect(agreement.maxProbabilityDifference).toBeLessThan(1e-5);
    } finally {
      await onnx.dispose();
    }
  });

  it('evaluates a source to the same probabilities, predictions and losses as tfjs', async () => {
    const count = 37; // two batches of 32 and a partial one
    const source = new InMemoryDataSource({ images: images(count, 8), labels: Array.from({ length: count }, (_, i) => i % 6), imageShape: shape, numClasses: 6 });
    const onnx = await OnnxClassifier.create(inference, shape, normalization, 2);
    try {
      const before = tf.memory().numTensors;
      const viaOnnx = await predictSource(onnx, source, { normalization, batchSize: 32 });
      expect(tf.memory().numTensors).toBe(before);
      const viaTfjs = await predictSource(inference, source, { normalization, batchSize: 32 });
      expect(Array.from(viaOnnx.predicted)).toEqual(Array.from(viaTfjs.predicted));
      expect(Array.from(viaOnnx.ids)).toEqual(Array.from(viaTfjs.ids));
      viaTfjs.probabilities.forEach((p, i) => expect(viaOnnx.probabilities[i]).toBeCloseTo(p, 5));
      viaTfjs.losses.forEach((l, i) => expect(viaOnnx.losses[i]).toBeCloseTo(l, 4));
    } finally {
      await onnx.dispose();
    }
  });
});

describe('softmax and cross-entropy from logits', () => {
  it('match tfjs, without overflow on large logits', () => {
    const logits = Float32Array.from([1, 2, 3, 1000, -1000, 0, 0.5, 0.5, 0.5]);
    const probs = softmaxRows(logits, 3);
    const expected = tf.tidy(() => tf.softmax(tf.tensor2d(logits, [3, 3])).dataSync());
    probs.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 6));
    const losses = crossEntropyRows(logits, [2, 1, 0], 3);
    expect(losses[0]).toBeCloseTo(-Math.log(expected[2]!), 5);
    expect(losses[1]).toBeCloseTo(2000, 3); // −log softmax of a logit 2000 below the largest
    expect(losses[2]).toBeCloseTo(Math.log(3), 6);
  });
});

describe('chooseClassifier', () => {
  it('uses ONNX Runtime on a CPU backend when asked, and says why', async () => {
    const choice = await chooseClassifier(inference, shape, normalization, { backend: 'cpu', threads: 1, prefer: 'onnxruntime' });
    try {
      expect(choice.classifier.engine).toMatch(/^ONNX Runtime/);
      expect(choice.reason).toMatch(/agrees with the tfjs graph \(probabilities within .*\) and runs \d+ against \d+ img\/s/);
      expect(choice.agreement).toMatchObject({ images: 32, sameTop1: 32 });
    } finally {
      await choice.classifier.dispose();
    }
  });

  it('keeps tfjs on a GPU backend, and where the user asks for it', async () => {
    const gpu = await chooseClassifier(inference, shape, normalization, { backend: 'webgpu', threads: 1 });
    expect(gpu.classifier.engine).toBe('tfjs cpu');
    expect(gpu.reason).toMatch(/^tfjs on webgpu/);
    const asked = await chooseClassifier(inference, shape, normalization, { backend: 'cpu', threads: 1, prefer: 'tfjs' });
    expect(asked.classifier.engine).toBe('tfjs cpu');
  });

  it('measures a disagreement of a hundredth in the logits as over the tolerance', async () => {
    // A stand-in whose logits are off by a little: the agreement check must see it.
    const tfjs = new TfjsClassifier(inference, shape, normalization);
    const skewed: Classifier = {
      engine: 'skewed', numClasses: 6,
      logits: async (x, n) => (await tfjs.logits(x, n)).map((v, i) => v + (i % 6 === 0 ? 0.01 : 0)),
      dispose: async () => {},
    };
    const logits = await tfjs.logits(images(8, 2), 8);
    expect(Math.max(...logits.map(Math.abs))).toBeLessThan(20);
    const agreement = await compareClassifiers(tfjs, skewed, images(8, 2), 8);
    expect(agreement.maxProbabilityDifference).toBeGreaterThan(AGREEMENT_TOLERANCE);
  });
});
