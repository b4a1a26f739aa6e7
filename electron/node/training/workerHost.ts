/** Starts an ML worker thread from the built JavaScript, or from the TypeScript source through tsx (tests, scripts). */
import { Worker } from 'node:worker_threads';
import type { WorkerData } from './protocol.js';

export function spawnMlWorker(data: WorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
  }
  // From source: register tsx's loader inside the worker before importing the TypeScript entry.
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}
