/**
 * Stopping ML workers: a worker that never loaded Dawn is terminated after a short grace even when it
 * does not leave by itself, one that loaded Dawn is given the whole grace (terminating it inside a Dawn
 * call would end the process), and a worker being terminated can no longer load Dawn.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerData } from './protocol.js';
import { spawnMlWorker, stopMlWorker } from './workerHost.js';

const stubborn = new URL('./testing/stubbornWorker.ts', import.meta.url);
const started: Worker[] = [];

/** A stand-in worker that ignores the request to leave; `claimDawnFirst` makes it hold Dawn. */
async function startStubborn(claimDawnFirst: boolean): Promise<{ worker: Worker; claims: Promise<boolean> }> {
  // The stand-in reads only its own field; the cast is for spawnMlWorker's type.
  const worker = spawnMlWorker({ claimDawnFirst } as unknown as WorkerData, stubborn);
  started.push(worker);
  const claims = new Promise<boolean>((resolve) =>
    worker.on('message', (message: { type: string; granted?: boolean }) => {
      if (message.type === 'claim') resolve(message.granted!);
    }),
  );
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  return { worker, claims };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((worker) => worker.terminate()));
});

describe('stopMlWorker', () => {
  it('terminates a worker that never loaded Dawn after a short grace, and Dawn can no longer be loaded in it', async () => {
    const { worker, claims } = await startStubborn(false);
    const exit = once(worker, 'exit');
    const t0 = Date.now();
    await stopMlWorker(worker, 60_000);
    const elapsed = Date.now() - t0;
    await exit;
    expect(elapsed).toBeLessThan(10_000);
    expect(await Promise.race([claims, new Promise((resolve) => setTimeout(() => resolve('no answer'), 1_000))])).toBe(false);
  }, 30_000);

  it('gives a worker that loaded Dawn its whole grace before terminating it', async () => {
    const { worker, claims } = await startStubborn(true);
    let exitedAt = 0;
    worker.once('exit', () => (exitedAt = Date.now()));
    const t0 = Date.now();
    const stopping = stopMlWorker(worker, 6_000);
    expect(await claims).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(exitedAt, 'terminated before its grace ran out').toBe(0);
    await stopping;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5_900);
  }, 30_000);
});
