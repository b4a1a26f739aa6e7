/**
 * Which TensorFlow.js backend trains on this machine, and why. Probing never throws: every backend
 * ends up either available or with a reason a user can act on.
 *
 * Order of preference: `tensorflow` (tfjs-node / tfjs-node-gpu, native libtensorflow), `webgpu`
 * (a real GPU adapter through Dawn), `wasm` (XNNPACK, with the project's training kernels), and `cpu`
 * (pure JavaScript: correct but far too slow for convolutions, so only for tiny tests).
 */
import * as tf from '@tensorflow/tfjs';

export const backendPreference = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendPreference)[number];

export interface BackendProbe {
  name: BackendName;
  package: string;
  available: boolean;
  reason: string;
}

export interface BackendChoice {
  name: BackendName | null;
  reason: string;
  probes: BackendProbe[];
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 240);
}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

async function probeTensorflow(): Promise<BackendProbe> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) {
        return { name: 'tensorflow', package: pkg, available: true, reason: `${pkg} loaded libtensorflow` };
      }
    } catch (error) {
      if (!isMissingModule(error)) {
        return { name: 'tensorflow', package: pkg, available: false, reason: `${pkg} is installed but failed to load: ${errorText(error)}` };
      }
    }
  }
  return {
    name: 'tensorflow',
    package: '@tensorflow/tfjs-node',
    available: false,
    reason:
      'not installed: @tensorflow/tfjs-node is optional and its install downloads libtensorflow, which failed or was skipped (install @tensorflow/tfjs-node-gpu with CUDA 11.2 + cuDNN 8.1 for an NVIDIA GPU)',
  };
}

async function probeWebgpu(): Promise<BackendProbe> {
  const pkg = 'webgpu';
  try {
    const dawn = (await import(pkg)) as { create: (flags: string[]) => { requestAdapter(): Promise<unknown> } };
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return { name: 'webgpu', package: pkg, available: false, reason: 'Dawn found no GPU adapter (no GPU driver with the Vulkan/Metal/D3D12 features WebGPU needs)' };
    }
    return { name: 'webgpu', package: pkg, available: true, reason: 'Dawn found a GPU adapter' };
  } catch (error) {
    if (isMissingModule(error)) {
      return { name: 'webgpu', package: pkg, available: false, reason: 'not installed: the optional package "webgpu" (Dawn for Node) is absent' };
    }
    return { name: 'webgpu', package: pkg, available: false, reason: `failed to start Dawn: ${errorText(error)}` };
  }
}

async function probeWasm(): Promise<BackendProbe> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  try {
    await import(pkg);
    const previous = tf.getBackend();
    const ok = await tf.setBackend('wasm');
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
    if (!ok) return { name: 'wasm', package: pkg, available: false, reason: 'the WASM backend failed to initialise' };
    return { name: 'wasm', package: pkg, available: true, reason: 'WebAssembly with SIMD (XNNPACK) initialised' };
  } catch (error) {
    return { name: 'wasm', package: pkg, available: false, reason: `failed to load: ${errorText(error)}` };
  }
}

function probeCpu(): BackendProbe {
  return {
    name: 'cpu',
    package: '@tensorflow/tfjs',
    available: tf.findBackend('cpu') !== undefined || tf.engine().registryFactory.cpu !== undefined,
    reason: 'pure JavaScript: always present, but convolutions are far too slow to train on (tiny tests only)',
  };
}

export async function probeBackends(): Promise<BackendProbe[]> {
  return [await probeTensorflow(), await probeWebgpu(), await probeWasm(), probeCpu()];
}

/** The best available backend, or the forced one when it is available. */
export function chooseBackend(probes: BackendProbe[], forced?: BackendName): BackendChoice {
  if (forced) {
    const probe = probes.find((p) => p.name === forced);
    if (!probe?.available) {
      return { name: null, reason: `backend "${forced}" was requested but is unavailable: ${probe?.reason ?? 'unknown backend'}`, probes };
    }
    return { name: forced, reason: `requested explicitly`, probes };
  }
  const chosen = backendPreference.map((name) => probes.find((p) => p.name === name)).find((p) => p?.available);
  if (!chosen) return { name: null, reason: 'no backend could be initialised', probes };
  const skipped = probes
    .filter((p) => backendPreference.indexOf(p.name) < backendPreference.indexOf(chosen.name))
    .map((p) => p.name);
  const reason =
    skipped.length === 0
      ? `${chosen.name} is the fastest backend and it is available`
      : `${chosen.name} is the best available backend (${skipped.join(', ')} unavailable)`;
  return { name: chosen.name, reason, probes };
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (backendPreference as readonly string[]).includes(value);
}
