/**
 * The backend is chosen by measurement: each candidate trains the run's own model for a few steps in a
 * worker of its own, the fastest wins, and the figures are cached per machine, backend and version.
 * Here the candidates are wasm and WebGPU on SwiftShader, admitted as a candidate for this test only
 * (a software adapter is never one otherwise).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webgpuSkipReason } from '../../../ml/webgpu/testing.js';
import { cachedBackendProbes, chooseRunBackend, SpeedCache } from './backendChoice.js';

vi.setConfig({ testTimeout: 300_000 });

const skip = await webgpuSkipReason();
if (skip) console.warn(`skipping the measured backend choice: ${skip}`);

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'studio-speeds-'));
  process.env.ATTENTION_STUDIO_SOFTWARE_GPU = 'candidate';
});
afterAll(() => {
  delete process.env.ATTENTION_STUDIO_SOFTWARE_GPU;
  rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(skip !== null)('choosing the backend for a run', () => {
  const run = { model: 'lite-16' as const, imageSize: 8, channels: 3 as const, batchSize: 4, numClasses: 2, seconds: 1, maxSteps: 2 };

  it('measures each candidate once, picks the fastest with the figures as the reason, and reuses the cache', async () => {
    const cache = new SpeedCache(path.join(folder, 'speeds.json'));
    const measured: string[] = [];
    const first = await chooseRunBackend({ run, cache, onMeasuring: (backend) => measured.push(backend) });
    expect(measured.sort()).toEqual(['wasm', 'webgpu']);
    expect(first.speeds.wasm).toBeGreaterThan(0);
    expect(first.speeds.webgpu).toBeGreaterThan(0);
    // SwiftShader emulates the GPU on the CPU: wasm is faster.
    expect(first.name).toBe('wasm');
    expect(first.reason).toMatch(/^wasm trained this model fastest on this machine: [\d.]+ img\/s against webgpu [\d.]+ img\/s/);
    const keys = Object.keys(JSON.parse(readFileSync(cache.file, 'utf8')) as object);
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.startsWith('webgpu'))).toContain('swiftshader');
    expect(keys.every((k) => k.includes('lite-16 8x8x3 batch 4'))).toBe(true);

    const again: string[] = [];
    const second = await chooseRunBackend({ run, cache, onMeasuring: (backend) => again.push(backend) });
    expect(again).toEqual([]);
    expect(second.name).toBe('wasm');

    // Another batch size is another measurement.
    const other: string[] = [];
    await chooseRunBackend({ run: { ...run, batchSize: 2 }, cache, onMeasuring: (backend) => other.push(backend) });
    expect(other.sort()).toEqual(['wasm', 'webgpu']);
  });

  it('gives a forced backend without measuring, and never picks the software adapter when it is not admitted', async () => {
    const cache = new SpeedCache(path.join(folder, 'forced.json'));
    const forced = await chooseRunBackend({ run, cache, forced: 'webgpu', onMeasuring: () => expect.unreachable() });
    expect(forced).toMatchObject({ name: 'webgpu', reason: 'requested explicitly' });
    delete process.env.ATTENTION_STUDIO_SOFTWARE_GPU;
    try {
      const plain = await chooseRunBackend({ run, cache, probes: await cachedBackendProbes(), onMeasuring: () => expect.unreachable() });
      expect(plain.name).toBe('wasm');
      expect(plain.reason).toContain('webgpu only on a software adapter, not chosen automatically');
    } finally {
      process.env.ATTENTION_STUDIO_SOFTWARE_GPU = 'candidate';
    }
  });
});
