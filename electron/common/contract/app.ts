import { z } from 'zod';
import { method } from './define.js';

export const backendNames = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

export interface BackendReport {
  name: BackendName;
  /** The package that provides it. */
  package: string;
  available: boolean;
  /** Why it is available (what was found) or why not (what is missing, what to install). */
  reason: string;
  /** What it computes on: a GPU adapter's vendor, architecture and description, or the CPU. */
  device?: string;
  /** A CPU standing in for a GPU (SwiftShader, llvmpipe, ...): never chosen by itself. */
  software?: boolean;
  /** Limits that bound a batch, in bytes (WebGPU buffer limits, the wasm heap). */
  limits?: Record<string, number>;
  /** What would make it available (or, for a software GPU, a real one). */
  enable?: string;
}

export interface BackendMeasurement {
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  seconds: number;
}

export interface DoctorBackend extends BackendReport {
  /** Measured now on the model below; null when unavailable or when the measurement failed. */
  measured: BackendMeasurement | null;
  /** Why there is no measurement (unavailable, too slow for the time limit, an error). */
  measureError: string | null;
}

/** Every backend, what it runs on, how fast it trains one model here, and which one a run would use. */
export interface DoctorReport {
  platform: string;
  arch: string;
  cpus: number;
  node: string;
  electron: string | null;
  model: string;
  imageSize: number;
  channels: 1 | 3;
  batchSize: number;
  backends: DoctorBackend[];
  selectedBackend: BackendName | null;
  selectionReason: string;
}

export interface AppInfo {
  name: string;
  version: string;
  node: string;
  electron: string | null;
  platform: string;
  arch: string;
  cpus: number;
  mode: 'electron' | 'browser' | 'cli';
  workspace: string | null;
  backends: BackendReport[];
  selectedBackend: BackendName | null;
  /** Why the selected backend was chosen over the others. */
  selectionReason: string;
}

export const doctorArgs = z.strictObject({
  model: z.string().min(1).max(64).default('lite-32'),
  imageSize: z.number().int().min(8).max(512).default(32),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  batchSize: z.number().int().min(1).max(1024).default(64),
  /** Seconds each backend may take before it is reported as too slow. */
  timeoutSeconds: z.number().int().min(10).max(1800).default(180),
});

export const appMethods = {
  info: method<AppInfo>()(
    z.strictObject({ probeBackends: z.boolean().optional() }),
    'Versions, platform, and which tfjs backends load here and which one training would use.',
  ),
  doctor: method<DoctorReport>()(
    doctorArgs,
    'Measures every available backend on one model, image size and batch; reports devices, limits, speeds, the choice and how to enable the rest.',
  ),
};
