/**
 * The inference graph computes the trained network's inference-mode function: same logits, same
 * attention masks, with batch norms folded into the convolutions before them.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { fuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { buildInspectionModel } from '../model/inspect.js';
import { buildModel } from '../model/index.js';
import { withSeededMathRandom } from '../train/random.js';
import { pseudoRandom, relativeError } from '../wasm/testing.js';
import { perturbBatchNorms } from './testing.js';
import { buildInferenceModel, planInference } from './inferenceModel.js';

async function outputs(model: tf.LayersModel, x: tf.Tensor4D): Promise<Float32Array[]> {
  const inspection = buildInspectionModel(model);
  const results = inspection.predict(x) as tf.Tensor[];
  const values = await Promise.all(results.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(results);
  return values;
}

describe.each(['cpu', 'wasm'] as const)('the inference graph on %s', (backend) => {
  beforeAll(async () => {
    if (backend === 'wasm') await initBackend('wasm', { threads: 1 });
    else await tf.setBackend('cpu');
  });

  it.each([[false], [true]])('gives the same logits and masks as the trained network (fused BN+ReLU layers: %s)', async (fused) => {
    const built = withSeededMathRandom(2, () => buildModel('lite-16', { inputShape: [16, 16, 3], numClasses: 5 }));
    perturbBatchNorms(built);
    const model = fused ? fuseBatchNormRelu(built) : built;
    const plan = planInference(model);
    // Per residual unit, BN2 and BN3 fold into conv1 and conv2; BN1 follows an add.
    expect(plan.folded.length).toBeGreaterThan(40);
    expect(plan.scaleShift.length).toBeGreaterThan(15);
    const before = tf.memory().numTensors;
    const inference = await buildInferenceModel(model);
    const x = tf.tensor4d(pseudoRandom(4 * 16 * 16 * 3, 9), [4, 16, 16, 3]);
    const [expected, actual] = [await outputs(model, x), await outputs(inference, x)];
    expect(actual).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(relativeError(actual[i]!, e), `output ${i}`).toBeLessThan(2e-5));
    const kinds = new Set(inference.layers.map((l) => l.getClassName()));
    expect(kinds.has('BatchNormalization') || kinds.has('BatchNormRelu')).toBe(false);
    x.dispose();
    inference.dispose();
    expect(tf.memory().numTensors).toBe(before);
    if (model !== built) model.dispose();
    built.dispose();
  });
});
