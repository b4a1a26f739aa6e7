/**
 * The project's kernels for the tfjs `webgpu` backend, registered from one list (as ml/wasm/register.ts
 * does for `wasm`): the fused training kernels the studio's layers and optimiser look for, with the same
 * names and results as on `wasm`, and a correct `ResizeBilinearGrad` in place of the stock one (wrong
 * for 1-pixel inputs). The replaced stock kernel is kept, so `unregisterWebgpuKernels` can restore it.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormReluTrainingConfig, batchNormReluTrainingGradConfig } from './kernels/BatchNormReluTraining.js';
import { resizeBilinearGradConfig } from './kernels/ResizeBilinearGrad.js';
import { sgdUpdateConfig } from './kernels/SgdUpdate.js';

export const webgpuKernelConfigs: readonly tf.KernelConfig[] = [
  batchNormReluTrainingConfig,
  batchNormReluTrainingGradConfig,
  sgdUpdateConfig,
  resizeBilinearGradConfig,
];

const stock = new Map<string, tf.KernelConfig>();

/** Registers every project kernel for `webgpu`. Idempotent. */
export function registerWebgpuKernels(): void {
  for (const config of webgpuKernelConfigs) {
    const current = tf.getKernel(config.kernelName, 'webgpu');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      if (!stock.has(config.kernelName)) stock.set(config.kernelName, current);
      tf.unregisterKernel(config.kernelName, 'webgpu');
    }
    tf.registerKernel(config);
  }
}

/** Removes them again (for comparisons with the stock composition in tests and benchmarks). */
export function unregisterWebgpuKernels(): void {
  for (const config of webgpuKernelConfigs) {
    if (tf.getKernel(config.kernelName, 'webgpu')?.kernelFunc !== config.kernelFunc) continue;
    tf.unregisterKernel(config.kernelName, 'webgpu');
    const original = stock.get(config.kernelName);
    if (original) tf.registerKernel(original);
  }
}
