/**
 * The doctor: for every backend, whether it loads and why not, the device and its limits, how fast it
 * trains and infers one model here (measured now, each in a worker of its own), which backend a run
 * would use and why, and what would enable the missing ones. The measurements also fill the speed
 * cache, so a run with the same model, image size and batch starts without measuring again.
 */
import os from 'node:os';
import { automaticCandidates, chooseBackend, type MeasuredSpeeds } from '../../../ml/engine/backends.js';
import { isVariantName, variantNames } from '../../../ml/model/index.js';
import type { DoctorBackend, DoctorReport } from '../../common/contract/app.js';
import type { SpeedEstimate } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { cachedBackendProbes, candidateProbes, chooseRunBackend, measureInWorker, SpeedCache, speedKey } from '../training/backendChoice.js';
import type { ServiceContext } from './context.js';

export interface DoctorOptions {
  model: string;
  imageSize: number;
  channels: 1 | 3;
  batchSize: number;
  timeoutSeconds: number;
  /** Called before each backend is measured. */
  onProgress?: (backend: string, done: number, total: number) => void;
  cache?: SpeedCache;
}

export async function runDoctor(ctx: Pick<ServiceContext, 'forcedBackend' | 'electronVersion' | 'threads'>, options: DoctorOptions): Promise<DoctorReport> {
  if (!isVariantName(options.model)) {
    throw new StudioError('invalid_argument', `model: "${options.model}" is not a model variant (choose ${variantNames.join(', ')})`, { field: 'model' });
  }
  const run = { model: options.model, imageSize: options.imageSize, channels: options.channels, batchSize: options.batchSize };
  const probes = await cachedBackendProbes();
  const cache = options.cache ?? new SpeedCache();
  const available = probes.filter((p) => p.available);
  const backends: DoctorBackend[] = [];
  for (const probe of probes) {
    if (!probe.available) {
      backends.push({ ...probe, measured: null, measureError: 'unavailable' });
      continue;
    }
    options.onProgress?.(probe.name, backends.filter((b) => b.available).length, available.length);
    const outcome = await measureInWorker(probe.name, run, { timeoutMs: options.timeoutSeconds * 1000, ...(ctx.threads ? { threads: ctx.threads } : {}) });
    if (outcome.ok) {
      cache.set(speedKey(probe, run), outcome.result);
      const { trainImagesPerSecond, inferImagesPerSecond, seconds } = outcome.result;
      backends.push({ ...probe, measured: { trainImagesPerSecond, inferImagesPerSecond, seconds }, measureError: null });
    } else {
      backends.push({ ...probe, measured: null, measureError: outcome.error });
    }
  }
  const speeds: MeasuredSpeeds = {};
  for (const b of backends) if (b.measured) speeds[b.name] = b.measured.trainImagesPerSecond;
  // Only what measured can be chosen: a backend that could not train this model is no candidate.
  const candidates = candidateProbes(backends.map((b) => ({ ...b, available: b.available && b.measured !== null })));
  const choice = chooseBackend(candidates, { forced: ctx.forcedBackend, speeds });
  const single = automaticCandidates(candidates).length === 1 && !ctx.forcedBackend;
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: os.availableParallelism(),
    node: process.versions.node,
    electron: ctx.electronVersion ?? process.versions.electron ?? null,
    ...run,
    backends,
    selectedBackend: choice.name,
    selectionReason: single && choice.name && speeds[choice.name] ? `${choice.reason}; it trains this model at ${speeds[choice.name]!.toFixed(1)} img/s` : choice.reason,
  };
}

/**
 * How fast a run would train, before any run of the model: the backend a run would use (forced, the
 * only candidate, or the fastest measured), then its cached speed for this model, size and batch, or a
 * measurement of a few steps (seconds) that fills the cache.
 */
export async function estimateSpeed(
  ctx: Pick<ServiceContext, 'forcedBackend' | 'threads'>,
  args: { model: string; imageSize: number; batchSize: number; channels: 1 | 3; numClasses: number },
  cache = new SpeedCache(),
): Promise<SpeedEstimate> {
  if (!isVariantName(args.model)) {
    throw new StudioError('invalid_argument', `model: "${args.model}" is not a model variant (choose ${variantNames.join(', ')})`, { field: 'model' });
  }
  const run = { model: args.model, imageSize: args.imageSize, channels: args.channels, batchSize: args.batchSize, numClasses: args.numClasses, seconds: 3, maxSteps: 5 };
  const choice = await chooseRunBackend({ forced: ctx.forcedBackend, run, cache, ...(ctx.threads ? { threads: ctx.threads } : {}) });
  if (!choice.name) throw new StudioError('unavailable', `No backend can train here: ${choice.reason}`);
  const probe = candidateProbes(await cachedBackendProbes()).find((p) => p.name === choice.name)!;
  const key = speedKey(probe, run);
  const cached = cache.get(key);
  if (cached) return { backend: choice.name, trainImagesPerSecond: cached.trainImagesPerSecond, inferImagesPerSecond: cached.inferImagesPerSecond, source: 'cached' };
  const outcome = await measureInWorker(choice.name, run, { timeoutMs: 120_000, ...(ctx.threads ? { threads: ctx.threads } : {}) });
  if (!outcome.ok) throw new StudioError('unavailable', `Could not measure ${args.model} on ${choice.name}: ${outcome.error}`);
  cache.set(key, outcome.result);
  return { backend: choice.name, trainImagesPerSecond: outcome.result.trainImagesPerSecond, inferImagesPerSecond: outcome.result.inferImagesPerSecond, source: 'measured' };
}

export function doctorHandlers(ctx: ServiceContext) {
  return {
    estimateSpeed: (args: { model: string; imageSize: number; batchSize: number; channels: 1 | 3; numClasses: number }) => estimateSpeed(ctx, args),
    doctor: (args: { model: string; imageSize: number; channels: 1 | 3; batchSize: number; timeoutSeconds: number }) =>
      runDoctor(ctx, {
        ...args,
        onProgress: (backend, done, total) =>
          ctx.events.emit('job.progress', { jobId: 'doctor', kind: 'backend-measure', done, total, message: `Measuring ${backend}` }),
      }),
  };
}
