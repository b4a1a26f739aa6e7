/**
 * Which backend a run trains on, decided by measurement: the candidates (available backends on real
 * hardware, see `automaticCandidates`) are each timed on the run's own model, image size and batch in a
 * worker of their own, one after the other, and the fastest wins. Measurements are cached per machine in
 * the user's data folder, keyed by backend, device and the versions of everything that decides the
 * speed, so a run measures only what has not been measured since the last upgrade or driver change.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  automaticCandidates,
  chooseBackend,
  probeBackends,
  type BackendChoice,
  type BackendName,
  type BackendProbe,
  type MeasuredSpeeds,
} from '../../../ml/engine/backends.js';
import type { SpeedMeasurement, SpeedProbe } from '../../../ml/engine/measure.js';
import { packageVersion } from '../paths.js';
import { userDataDir } from '../workspace.js';
import type { MeasureMessage } from './protocol.js';
import { spawnMlWorker, stopMlWorker } from './workerHost.js';

let probeCache: Promise<BackendProbe[]> | null = null;

/** Probing starts Dawn in a child process and loads WASM: once per process. */
export function cachedBackendProbes(): Promise<BackendProbe[]> {
  probeCache ??= probeBackends();
  return probeCache;
}

/**
 * A software GPU adapter (SwiftShader and the like) is never a candidate, except where this is set:
 * the tests use it to exercise the measured choice on machines whose only GPU is emulated.
 */
export function softwareGpuIsCandidate(): boolean {
  return process.env.ATTENTION_STUDIO_SOFTWARE_GPU === 'candidate';
}

export function candidateProbes(probes: BackendProbe[]): BackendProbe[] {
  return softwareGpuIsCandidate() ? probes.map((p) => (p.software ? { ...p, software: false } : p)) : probes;
}

function installedVersion(pkg: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'absent';
  }
}

/** Everything whose change can change a backend's speed on this machine. */
export function speedKey(probe: BackendProbe, run: SpeedProbe): string {
  const pkg = probe.package.startsWith('@tensorflow/') || probe.package === 'webgpu' ? installedVersion(probe.package) : '';
  const runtime = process.versions.electron ? `electron ${process.versions.electron}` : `node ${process.versions.node}`;
  return [
    probe.name,
    probe.device ?? '',
    `${probe.package} ${pkg}`,
    `tfjs ${tf.version.tfjs}`,
    `studio ${packageVersion()}`,
    runtime,
    `${run.model} ${run.imageSize}x${run.imageSize}x${run.channels} batch ${run.batchSize}`,
  ].join(' | ');
}

export interface CachedSpeed extends SpeedMeasurement {
  measuredAt: number;
}

/** The per-machine cache of measured speeds: one JSON file, written atomically. */
export class SpeedCache {
  constructor(readonly file = path.join(userDataDir(), 'backend-speeds.json')) {}

  private read(): Record<string, CachedSpeed> {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, CachedSpeed>) : {};
    } catch {
      return {};
    }
  }

  get(key: string): CachedSpeed | undefined {
    const entry = this.read()[key];
    return entry && entry.trainImagesPerSecond > 0 ? entry : undefined;
  }

  set(key: string, measurement: SpeedMeasurement): void {
    const all = this.read();
    all[key] = { ...measurement, measuredAt: Date.now() };
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(all, null, 1));
    renameSync(temporary, this.file);
  }
}

export type MeasureOutcome = { ok: true; result: SpeedMeasurement; detail: string } | { ok: false; error: string };

/** Times one backend in a fresh worker (its own tfjs), killed after `timeoutMs`. */
export function measureInWorker(backend: BackendName, probe: SpeedProbe, options: { timeoutMs?: number; threads?: number } = {}): Promise<MeasureOutcome> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  return new Promise((resolve) => {
    const worker = spawnMlWorker({ kind: 'measure', backend, probe, ...(options.threads ? { threads: options.threads } : {}) });
    let outcome: MeasureOutcome | null = null;
    const timer = setTimeout(() => {
      outcome ??= { ok: false, error: `no training step finished within ${Math.round(timeoutMs / 1000)} s` };
      void stopMlWorker(worker, 2_000);
    }, timeoutMs);
    worker.on('message', (message: MeasureMessage) => {
      outcome ??= message.type === 'measured' ? { ok: true, result: message.result, detail: message.detail } : { ok: false, error: message.error };
    });
    worker.on('error', (error) => {
      outcome ??= { ok: false, error: error.message };
    });
    worker.on('exit', () => {
      clearTimeout(timer);
      resolve(outcome ?? { ok: false, error: 'the measuring worker exited without a result' });
    });
  });
}

export interface RunBackendChoice extends BackendChoice {
  speeds: MeasuredSpeeds;
}

export interface ChooseRunBackendOptions {
  forced?: BackendName | undefined;
  run: SpeedProbe;
  threads?: number;
  cache?: SpeedCache;
  probes?: BackendProbe[];
  /** Called before each backend is measured (not for cached ones). */
  onMeasuring?: (backend: BackendName, index: number, count: number) => void;
}

/** The backend for a run: the forced one, the only candidate, or the fastest measured candidate. */
export async function chooseRunBackend(options: ChooseRunBackendOptions): Promise<RunBackendChoice> {
  // Copies: a backend that fails its measurement is marked unavailable for this run only.
  const probes = candidateProbes(options.probes ?? (await cachedBackendProbes())).map((p) => ({ ...p }));
  if (options.forced) return { ...chooseBackend(probes, { forced: options.forced }), speeds: {} };
  const candidates = automaticCandidates(probes);
  const speeds: MeasuredSpeeds = {};
  if (candidates.length >= 2) {
    const cache = options.cache ?? new SpeedCache();
    const missing: BackendProbe[] = [];
    for (const probe of candidates) {
      const cached = cache.get(speedKey(probe, options.run));
      if (cached) speeds[probe.name] = cached.trainImagesPerSecond;
      else missing.push(probe);
    }
    for (const [i, probe] of missing.entries()) {
      options.onMeasuring?.(probe.name, i, missing.length);
      const outcome = await measureInWorker(probe.name, options.run, options.threads ? { threads: options.threads } : {});
      if (outcome.ok) {
        speeds[probe.name] = outcome.result.trainImagesPerSecond;
        cache.set(speedKey(probe, options.run), outcome.result);
      } else {
        // A backend that cannot train this model is no candidate for it.
        probe.available = false;
        probe.reason = `could not train ${options.run.model} here: ${outcome.error}`;
      }
    }
  }
  return { ...chooseBackend(probes, { speeds }), speeds };
}
