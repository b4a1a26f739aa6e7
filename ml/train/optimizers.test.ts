import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdamOptimizer } from './adam.js';
import type { TrainableParam } from './optimizer.js';
import { SgdOptimizer } from './sgd.js';
import { useCpuBackend } from './test/toy.js';

beforeAll(useCpuBackend);

const made: tf.Tensor[] = [];
afterEach(() => made.splice(0).forEach((t) => t.dispose()));

function param(name: string, values: number[], shape: number[], decay: boolean): TrainableParam {
  const variable = tf.variable(tf.tensor(values, shape), true, `${name}_${Math.random().toString(36).slice(2)}`);
  made.push(variable);
  return { name, variable, decay };
}

function tensor(values: number[], shape: number[]): tf.Tensor {
  const t = tf.tensor(values, shape);
  made.push(t);
  return t;
}

const values = (p: TrainableParam) => Array.from(p.variable.dataSync());

describe('SGD with Nesterov momentum and L2 weight decay', () => {
  it('matches two hand-computed steps', () => {
    // lr 0.1, mu 0.9, wd 0.1, w0 = [1, -2], constant gradient [0.5, 0.5].
    // Step 1: g = [0.6, 0.3], v = g, w -= 0.1 * (g + 0.9 v) = 0.1 * [1.14, 0.57] -> [0.886, -2.057].
    // Step 2: g = [0.5886, 0.2943], v = 0.9 [0.6, 0.3] + g = [1.1286, 0.5643],
    //         w -= 0.1 * (g + 0.9 v) = 0.1 * [1.60434, 0.80217] -> [0.725566, -2.137217].
    const kernel = param('kernel', [1, -2], [1, 2], true);
    const optimizer = new SgdOptimizer({ momentum: 0.9, nesterov: true, weightDecay: 0.1 });
    const grad = tensor([0.5, 0.5], [1, 2]);
    optimizer.applyGradients([kernel], [grad], 0.1);
    expect(values(kernel)[0]).toBeCloseTo(0.886, 6);
    expect(values(kernel)[1]).toBeCloseTo(-2.057, 6);
    optimizer.applyGradients([kernel], [grad], 0.1);
    expect(values(kernel)[0]).toBeCloseTo(0.725566, 6);
    expect(values(kernel)[1]).toBeCloseTo(-2.137217, 6);
    optimizer.dispose();
  });

  it('uses plain momentum when Nesterov is off', () => {
    // Step 1: v = 0.5, w = 1 - 0.1 * 0.5 = 0.95; step 2: v = 0.95, w = 0.95 - 0.095 = 0.855.
    const bias = param('bias', [1], [1], false);
    const optimizer = new SgdOptimizer({ momentum: 0.9, nesterov: false, weightDecay: 0.1 });
    const grad = tensor([0.5], [1]);
    optimizer.applyGradients([bias], [grad], 0.1);
    optimizer.applyGradients([bias], [grad], 0.1);
    expect(values(bias)[0]).toBeCloseTo(0.855, 6);
    optimizer.dispose();
  });

  it('does not decay biases and batch-norm parameters', () => {
    const kernel = param('kernel', [1, 1], [2, 1], true);
    const gamma = param('gamma', [1, 1], [2], false);
    const optimizer = new SgdOptimizer({ momentum: 0, weightDecay: 0.5 });
    const zero = tensor([0, 0], [2]);
    optimizer.applyGradients([kernel, gamma], [tensor([0, 0], [2, 1]), zero], 1);
    expect(values(kernel)).toEqual([0.5, 0.5]);
    expect(values(gamma)).toEqual([1, 1]);
    optimizer.dispose();
  });

  it('leaves a weight without a gradient alone', () => {
    const a = param('a', [1], [1], false);
    const b = param('b', [2], [1], false);
    const optimizer = new SgdOptimizer();
    optimizer.applyGradients([a, b], [tensor([1], [1]), undefined], 0.1);
    expect(values(b)).toEqual([2]);
    expect(optimizer.getState([a, b]).slots.map((s) => s.param)).toEqual([0]);
    optimizer.dispose();
  });
});

describe('Adam with decoupled weight decay', () => {
  it('moves each weight by the learning rate times the gradient sign on the first step', () => {
    // t = 1: m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps).
    const w = param('w', [1, 1], [1, 2], false);
    const optimizer = new AdamOptimizer();
    optimizer.applyGradients([w], [tensor([3, -0.01], [1, 2])], 0.01);
    expect(values(w)[0]).toBeCloseTo(0.99, 6);
    expect(values(w)[1]).toBeCloseTo(1.01, 6);
    optimizer.dispose();
  });

  it('shrinks kernels by lr * weightDecay outside the adaptive step', () => {
    const kernel = param('kernel', [2], [1, 1], true);
    const optimizer = new AdamOptimizer({ weightDecay: 0.5 });
    optimizer.applyGradients([kernel], [tensor([0], [1, 1])], 0.1);
    // Decay: 2 * (1 - 0.05) = 1.9; the zero gradient adds 0 / (0 + eps) = 0.
    expect(values(kernel)[0]).toBeCloseTo(1.9, 6);
    optimizer.dispose();
  });
});

describe('optimiser state', () => {
  for (const make of [() => new SgdOptimizer(), () => new AdamOptimizer()]) {
    it(`${make().kind}: a restored copy continues exactly like the original`, () => {
      const a = param('a', [1, 2, 3], [3, 1], true);
      const b = param('b', [1, 2, 3], [3, 1], true);
      const original = make();
      const grads = [tensor([0.3, -0.2, 0.1], [3, 1]), tensor([-0.5, 0.4, 0.9], [3, 1])];
      original.applyGradients([a], [grads[0]], 0.05);
      original.applyGradients([a], [grads[1]], 0.05);
      const state = original.getState([a]);
      b.variable.assign(a.variable);
      const copy = make();
      copy.setState([b], state);
      state.slots.forEach((s) => s.tensor.dispose());
      original.applyGradients([a], [grads[0]], 0.05);
      copy.applyGradients([b], [grads[0]], 0.05);
      expect(values(b)).toEqual(values(a));
      expect(copy.iterations).toBe(3);
      original.dispose();
      copy.dispose();
    });
  }

  it('refuses state saved for a different architecture', () => {
    const a = param('a', [1, 2], [2, 1], true);
    const c = param('c', [1, 2, 3], [3, 1], true);
    const optimizer = new SgdOptimizer();
    optimizer.applyGradients([a], [tensor([1, 1], [2, 1])], 0.1);
    const state = optimizer.getState([a]);
    expect(() => new SgdOptimizer().setState([c], state)).toThrow(/does not fit this model/);
    expect(() => new AdamOptimizer().setState([a], state)).toThrow(/holds sgd optimiser state/);
    state.slots.forEach((s) => s.tensor.dispose());
    optimizer.dispose();
  });

  it('keeps the tensor count constant from the first step on', () => {
    const a = param('a', [1, 2], [2, 1], true);
    const optimizer = new AdamOptimizer({ weightDecay: 0.1 });
    const grad = tensor([1, 1], [2, 1]);
    optimizer.applyGradients([a], [grad], 0.1);
    const after1 = tf.memory().numTensors;
    optimizer.applyGradients([a], [grad], 0.1);
    optimizer.applyGradients([a], [grad], 0.1);
    expect(tf.memory().numTensors).toBe(after1);
    optimizer.dispose();
  });
});
