import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { wasmKernelNames } from '../wasm/register.js';
import { pseudoRandom } from '../wasm/testing.js';
import { chooseBackend, initBackend, probeBackends } from './backends.js';

function convGradient(): Float32Array {
  const grad = tf.tidy(() => {
    const x = tf.tensor4d(pseudoRandom(2 * 8 * 8 * 8, 1), [2, 8, 8, 8]);
    const w = tf.tensor4d(pseudoRandom(3 * 3 * 8 * 8, 2), [3, 3, 8, 8]);
    return tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same').square().sum())(w);
  });
  const values = grad.dataSync() as Float32Array;
  grad.dispose();
  return values;
}

describe('initBackend', () => {
  it('starts wasm with the project kernels, and restarts it with two threads when asked', async () => {
    const probes = await probeBackends();
    expect(chooseBackend(probes, 'wasm').name).toBe('wasm');

    const single = await initBackend('wasm', { threads: 1 });
    expect(single).toMatchObject({ name: 'wasm', threads: 1 });
    for (const name of wasmKernelNames) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    const reference = convGradient();

    const again = await initBackend('wasm', { threads: 1 });
    expect(again.threads).toBe(1);

    const threaded = await initBackend('wasm', { threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
    // Threads under Node need the worker workaround; report what was obtained rather than assume.
    expect(threaded.threads).toBe(getThreadsCount());
    expect(threaded.threads).toBe(2);
    const threadedResult = convGradient();
    let diff = 0;
    for (let i = 0; i < reference.length; i++) diff = Math.max(diff, Math.abs(threadedResult[i] - reference[i]));
    expect(diff).toBeLessThan(1e-3);
  });
});

describe('the wasm heap guard', () => {
  it('refuses an allocation the 4 GiB heap cannot hold with a clear error, and the backend keeps working', async () => {
    await initBackend('wasm', { threads: 1 });
    const before = tf.memory().numTensors;
    // 1.1 G floats: 4.4 GB, more than WebAssembly can address. Without the guard tfjs would place the
    // tensor at address 0 and corrupt the module.
    const [a, b] = [tf.ones([1100, 1, 1]), tf.ones([1, 1024, 1024])];
    expect(() => tf.add(a, b)).toThrow(/ran out of memory: 4400 MiB .*Lower the batch size/);
    // Two blocks that fit one at a time but not together: malloc itself fails.
    const big = tf.tidy(() => tf.add(a.slice(0, 600), b));
    expect(() => tf.tidy(() => tf.add(a.slice(0, 500), b))).toThrow(/ran out of memory: 2000 MiB more did not fit/);
    big.dispose();
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    const sum = tf.tidy(() => tf.add(tf.ones([4]), tf.ones([4])).sum());
    expect(sum.dataSync()[0]).toBe(8);
    sum.dispose();
  });
});

describe('chooseBackend', () => {
  const probe = (name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu', available: boolean, software = false) => ({
    name, package: name, available, reason: `${name} reason`, ...(software ? { software } : {}),
  });

  it('never picks a software GPU by itself, but gives it when asked for by name', () => {
    const probes = [probe('tensorflow', false), probe('webgpu', true, true), probe('wasm', true), probe('cpu', true)];
    const auto = chooseBackend(probes);
    expect(auto.name).toBe('wasm');
    expect(auto.reason).toContain('webgpu only on a software adapter');
    // Even when the software adapter measured faster.
    expect(chooseBackend(probes, { speeds: { webgpu: 500, wasm: 40 } }).name).toBe('wasm');
    expect(chooseBackend(probes, { forced: 'webgpu' })).toMatchObject({ name: 'webgpu', reason: 'requested explicitly' });
  });

  it('picks the fastest measured candidate and says by how much', () => {
    const probes = [probe('tensorflow', true), probe('webgpu', true), probe('wasm', true), probe('cpu', true)];
    const choice = chooseBackend(probes, { speeds: { tensorflow: 80, webgpu: 310.4, wasm: 45.25 } });
    expect(choice.name).toBe('webgpu');
    expect(choice.reason).toMatch(/webgpu trained this model fastest on this machine: 310 img\/s against tensorflow 80\.0 img\/s, wasm 45\.3 img\/s/);
  });

  it('falls back to the order of preference before anything is measured, and to cpu only when nothing else loads', () => {
    const probes = [probe('tensorflow', true), probe('webgpu', true), probe('wasm', true), probe('cpu', true)];
    expect(chooseBackend(probes)).toMatchObject({ name: 'tensorflow', reason: expect.stringContaining('no speed measured yet') });
    expect(chooseBackend([probe('tensorflow', false), probe('webgpu', true, true), probe('wasm', false), probe('cpu', true)]).name).toBe('cpu');
    expect(chooseBackend([probe('wasm', false)], { forced: 'wasm' }).name).toBeNull();
  });
});
