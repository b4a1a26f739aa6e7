/**
 * The project's kernels for the tfjs `wasm` backend, registered from one list. They make the backend
 * train a CNN (it ships without Conv2DBackpropFilter and with a wrong MaxPoolGrad) and make training
 * fast enough to use (see each kernel's file for why it exists).
 *
 * Registering replaces a stock kernel of the same name; the stock one stays reachable through
 * `runStock` (heap.ts) for the cases a project kernel hands back. Calling it again does nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { rememberStockKernel, stockKernel } from './heap.js';
import { batchNormReluTrainingConfig } from './kernels/BatchNormReluTraining.js';
import { batchNormReluTrainingGradConfig } from './kernels/BatchNormReluTrainingGrad.js';
import { castConfig } from './kernels/Cast.js';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput.js';
import { identityConfig } from './kernels/Identity.js';
import { maxPoolGradConfig } from './kernels/MaxPoolGrad.js';
import { sgdUpdateConfig } from './kernels/SgdUpdate.js';

export const wasmKernelConfigs: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  identityConfig,
  castConfig,
  batchNormReluTrainingConfig,
  batchNormReluTrainingGradConfig,
  sgdUpdateConfig,
];

/** Names of the kernels the project registers for `wasm`, for reports and tests. */
export const wasmKernelNames: readonly string[] = wasmKernelConfigs.map((config) => config.kernelName);

/** Registers every project kernel for the `wasm` backend. Idempotent. */
export function registerWasmKernels(): void {
  for (const config of wasmKernelConfigs) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      rememberStockKernel(current);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(config);
  }
}

/** Puts the stock kernels back (for comparisons in benchmarks and tests). */
export function unregisterWasmKernels(): void {
  for (const config of wasmKernelConfigs) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc !== config.kernelFunc) continue;
    tf.unregisterKernel(config.kernelName, 'wasm');
    const original = stockKernel(config.kernelName);
    if (original) tf.registerKernel(original);
  }
}
