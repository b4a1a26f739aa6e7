/**
 * Whole-network gradient check of every registry variant: wasm (project kernels, fused BN+ReLU) against
 * the stock model on the `cpu` backend, one small training batch each (see ml/wasm/gradientCheck.ts).
 * The large variants take minutes on `cpu`.
 *
 *   npx tsx bench/gradcheck.ts [--variants a,b] [--batch 4] [--size 32]
 */
import { initBackend } from '../ml/engine/backends.js';
import { buildModel, isVariantName, variantNames, type VariantName } from '../ml/model/index.js';
import { checkModelGradients } from '../ml/engine/gradientCheck.js';

const argv = process.argv.slice(2);
const value = (flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const variants = (value('--variants')?.split(',') ?? variantNames).filter((v): v is VariantName => isVariantName(v));
const batch = Number(value('--batch') ?? 4);
const size = Number(value('--size') ?? 32);

await initBackend('wasm', { threads: 1 });
const results = [];
for (const variant of variants) {
  const start = performance.now();
  const check = await checkModelGradients(() => buildModel(variant, { inputShape: [size, size, 3], numClasses: 10 }), { batch, size, channels: 3 });
  const row = {
    variant, batch, size, weights: check.weights,
    median: Number(check.median.toExponential(2)), p99: Number(check.p99.toExponential(2)),
    worstTensor: Number(check.worstTensor.toExponential(2)),
    sensitivityMedian: Number(check.sensitivity.median.toExponential(2)), sensitivityP99: Number(check.sensitivity.p99.toExponential(2)),
    seconds: Math.round((performance.now() - start) / 100) / 10,
  };
  results.push(row);
  console.error(JSON.stringify(row));
}
process.stdout.write(`${JSON.stringify({ benchmark: 'gradcheck', results }, null, 2)}\n`);
