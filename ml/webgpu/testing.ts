/**
 * For tests that need a WebGPU adapter: where there is none they skip and say why, except in CI, where
 * the adapter (SwiftShader, see test/softwareGpu.ts) must be present and its absence fails the run.
 */
import { probeDawnAdapter, type GpuProbe } from '../engine/webgpu.js';

let probe: Promise<GpuProbe> | null = null;

export async function webgpuAdapter(): Promise<GpuProbe> {
  probe ??= probeDawnAdapter();
  return probe;
}

/** The reason to skip WebGPU tests here, or null to run them. Throws in CI when they cannot run. */
export async function webgpuSkipReason(): Promise<string | null> {
  const { adapter, reason } = await webgpuAdapter();
  if (adapter) return null;
  const message = `no WebGPU adapter (${reason}); install Debian's chromium package for SwiftShader, or run on a GPU`;
  if (process.env.CI) throw new Error(`CI must run the WebGPU tests: ${message}`);
  return message;
}
