/**
 * Training and inference throughput of the Residual Attention Network variants on the selected tfjs
 * backend, against PyTorch CPU on the same network (bench/torch_ran.py) for the ratio.
 *
 *   npm run bench:train -- --json [--variants lite-32,attention56-cifar] [--batch 64] [--threads 1,2]
 *                                 [--steps 5] [--backend wasm|webgpu|...] [--stock] [--no-simd-helpers] [--no-torch]
 *
 * Each (variant, thread count) runs in its own process, so heap and RSS peaks are that run's own.
 * Every step uses freshly made tensors: XNNPACK caches packed operators per tensor id, and reusing
 * inputs would hide that cost. Figures are best-of-N steps (and the median beside them): the machines
 * this runs on are often shared, and the best step is the one least disturbed by others.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, initBackend, isBackendName, probeBackends, type BackendName } from '../ml/engine/backends.js';
import { fuseBatchNormRelu } from '../ml/layers/fuseBatchNormRelu.js';
import { buildModel, isVariantName, type VariantName } from '../ml/model/index.js';
import { readAll } from '../ml/engine/read.js';
import { buildInferenceModel } from '../ml/infer/inferenceModel.js';
import { OnnxClassifier } from '../ml/infer/onnxClassifier.js';
import { trainableParams } from '../ml/train/optimizer.js';
import { SgdOptimizer } from '../ml/train/sgd.js';
import { trainStep } from '../ml/train/trainStep.js';

interface Options {
  json: boolean;
  variants: VariantName[];
  batch: number;
  size: number;
  threads: number[];
  steps: number;
  backend: BackendName | undefined;
  stock: boolean;
  simdHelpers: boolean;
  torch: boolean;
  child: boolean;
  classes: number;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const variants = (value('--variants') ?? 'lite-32,attention56-cifar').split(',');
  for (const v of variants) if (!isVariantName(v)) throw new Error(`unknown variant '${v}'`);
  const backend = value('--backend');
  if (backend !== undefined && !isBackendName(backend)) throw new Error(`unknown backend '${backend}'`);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return {
    json: argv.includes('--json'),
    variants: variants as VariantName[],
    batch: Number(value('--batch') ?? 64),
    size: Number(value('--size') ?? 32),
    threads: (value('--threads') ?? [...new Set([1, cores])].join(',')).split(',').map(Number),
    steps: Number(value('--steps') ?? 5),
    backend,
    stock: argv.includes('--stock'),
    simdHelpers: !argv.includes('--no-simd-helpers'),
    torch: !argv.includes('--no-torch'),
    child: argv.includes('--child'),
    classes: Number(value('--classes') ?? 10),
  };
}

interface TfjsRun {
  engine: string;
  variant: VariantName;
  backend: string;
  threads: number;
  batch: number;
  params: number;
  fusedBatchNormRelu: boolean;
  simdHelpers: boolean;
  train_img_s: number;
  train_img_s_median: number;
  infer_img_s: number;
  /** The same inference graph in ONNX Runtime (CPU backends only). */
  infer_onnxruntime_img_s: number | null;
  peak_heap_mb: number | null;
  peak_rss_mb: number;
}

const best = (times: number[]): number => Math.min(...times);
const median = (times: number[]): number => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function wasmHeapBytes(): number | null {
  const module = (tf.backend() as unknown as { wasm?: { wasmMemory?: { buffer: ArrayBufferLike }; asm?: { memory?: { buffer: ArrayBufferLike } }; HEAPU8?: Uint8Array } }).wasm;
  if (!module) return null;
  // The heap only grows, so its size now is its peak.
  return (module.wasmMemory ?? module.asm?.memory)?.buffer.byteLength ?? module.HEAPU8?.buffer.byteLength ?? null;
}

async function runTfjs(options: Options, variant: VariantName, threads: number): Promise<TfjsRun> {
  const probes = await probeBackends();
  const choice = chooseBackend(probes, options.backend);
  if (!choice.name) throw new Error(choice.reason);
  const backend = await initBackend(choice.name, { threads, simdHelpers: options.simdHelpers });
  const built = buildModel(variant, { inputShape: [options.size, options.size, 3], numClasses: options.classes });
  const model = options.stock ? built : fuseBatchNormRelu(built);
  if (model !== built) built.dispose();
  const optimizer = new SgdOptimizer({ momentum: 0.9, nesterov: false, weightDecay: 0 });
  const { batch, size } = options;

  // The studio's own training step and optimiser (fused SGD kernel where the backend has one), with
  // asynchronous reads: a GPU backend cannot read synchronously under Node.
  const params = trainableParams(model);
  let stepIndex = 0;
  const trainOnce = async (): Promise<void> => {
    const xs = tf.randomNormal([batch, size, size, 3]) as tf.Tensor4D;
    const labels = tf.randomUniform([batch], 0, options.classes, 'int32') as tf.Tensor1D;
    try {
      await trainStep(model, params, optimizer, xs, labels, 0.01, stepIndex++);
    } finally {
      tf.dispose([xs, labels]);
    }
  };
  // Inference on the inference graph (batch norms folded into the convolutions), as the studio infers.
  let inferenceModel: tf.LayersModel | null = null;
  const inferOnce = async (): Promise<void> => {
    const xs = tf.randomNormal([batch, size, size, 3]);
    await readAll([tf.tidy(() => inferenceModel!.predict(xs, { batchSize: batch }) as tf.Tensor)]);
    xs.dispose();
  };
  const time = async (step: () => Promise<void>): Promise<number> => {
    const start = performance.now();
    await step();
    return (performance.now() - start) / 1000;
  };
  const repeat = async (step: () => Promise<void>): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < options.steps; i++) times.push(await time(step));
    return times;
  };

  await trainOnce();
  const train = await repeat(trainOnce);
  inferenceModel = await buildInferenceModel(model);
  await inferOnce();
  const infer = await repeat(inferOnce);
  // ONNX Runtime on the same inference graph, as the studio predicts on a CPU backend where it agrees
  // and is faster (ml/infer/onnxClassifier.ts); uint8 images in, as the studio feeds it.
  let onnxInfer: number[] | null = null;
  if (backend.name === 'wasm' || backend.name === 'cpu') {
    const normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const onnx = await OnnxClassifier.create(inferenceModel, [size, size, 3], normalization, backend.threads);
    const pixels = Uint8Array.from({ length: batch * size * size * 3 }, (_, i) => (i * 2654435761) >>> 24);
    const onnxOnce = async (): Promise<void> => void (await onnx.logits(pixels, batch));
    await onnxOnce();
    onnxInfer = await repeat(onnxOnce);
    await onnx.dispose();
  }
  inferenceModel.dispose();
  const heap = wasmHeapBytes();
  const result: TfjsRun = {
    engine: `tfjs ${tf.version.tfjs}`,
    variant,
    backend: backend.name,
    threads: backend.threads,
    batch,
    // Trainable weights only, as PyTorch's parameters() (BN moving statistics are buffers there).
    params: model.trainableWeights.reduce((sum, w) => sum + tf.util.sizeFromShape(w.shape as number[]), 0),
    fusedBatchNormRelu: !options.stock,
    simdHelpers: options.simdHelpers,
    train_img_s: round1(batch / best(train)),
    train_img_s_median: round1(batch / median(train)),
    infer_img_s: round1(batch / best(infer)),
    infer_onnxruntime_img_s: onnxInfer ? round1(batch / best(onnxInfer)) : null,
    peak_heap_mb: heap === null ? null : Math.round(heap / 2 ** 20),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  model.dispose();
  optimizer.dispose();
  return result;
}

interface TorchRun {
  layout: string;
  train_img_s: number;
  infer_img_s: number;
  [key: string]: unknown;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function runChild(options: Options, variant: VariantName, threads: number): TfjsRun {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--variants', variant, '--threads', String(threads),
    '--batch', String(options.batch), '--size', String(options.size), '--steps', String(options.steps), '--classes', String(options.classes)];
  if (options.backend) args.push('--backend', options.backend);
  if (options.stock) args.push('--stock');
  if (!options.simdHelpers) args.push('--no-simd-helpers');
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || !line) {
    throw new Error(`tfjs run for ${variant} on ${threads} thread(s) failed: ${(child.stderr || child.stdout).slice(-2000)}`);
  }
  return JSON.parse(line) as TfjsRun;
}

/** A Python with torch: the PATH one, else Debian's (python3-torch installs for /usr/bin/python3). */
function torchPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return python;
  }
  return null;
}

function runTorch(python: string, options: Options, variant: VariantName, threads: number, channelsLast: boolean): TorchRun | { error: string } {
  const args = [path.join(here, 'torch_ran.py'), '--variant', variant, '--batch', String(options.batch), '--size', String(options.size),
    '--threads', String(threads), '--steps', String(options.steps), '--classes', String(options.classes)];
  if (channelsLast) args.push('--channels-last');
  const run = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (run.status !== 0 || !line) return { error: (run.stderr || 'no output').slice(-500) };
  return JSON.parse(line) as TorchRun;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.child) {
    const result = await runTfjs(options, options.variants[0], options.threads[0]);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  const python = options.torch ? torchPython() : null;
  const maxThreads = Math.max(...options.threads);
  const variants = [];
  for (const variant of options.variants) {
    const tfjs = options.threads.map((threads) => runChild(options, variant, threads));
    const torch = python
      ? [false, true].map((channelsLast) => runTorch(python, options, variant, maxThreads, channelsLast))
      : [];
    const bestTfjs = tfjs.reduce((a, b) => (b.train_img_s > a.train_img_s ? b : a));
    const torchOk = torch.filter((t): t is TorchRun => !('error' in t));
    const bestTorch = torchOk.length ? torchOk.reduce((a, b) => (b.train_img_s > a.train_img_s ? b : a)) : null;
    const bestTorchInfer = torchOk.length ? Math.max(...torchOk.map((t) => t.infer_img_s)) : null;
    variants.push({
      variant,
      tfjs,
      torch,
      ratio: bestTorch && bestTorchInfer
        ? {
            train: round3(bestTfjs.train_img_s / bestTorch.train_img_s),
            train_vs: `tfjs ${bestTfjs.threads} thread(s) vs PyTorch ${bestTorch.layout} ${maxThreads} thread(s)`,
            // The studio infers with the faster of the tfjs graph and ONNX Runtime (where they agree).
            infer: round3(Math.max(...tfjs.map((t) => Math.max(t.infer_img_s, t.infer_onnxruntime_img_s ?? 0))) / bestTorchInfer),
            infer_tfjs: round3(Math.max(...tfjs.map((t) => t.infer_img_s)) / bestTorchInfer),
          }
        : null,
    });
  }
  const report = {
    benchmark: 'train',
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map(round1) },
    note: 'best-of-steps images/s (median beside); shared machines make single steps noisy',
    variants,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  for (const v of variants) {
    for (const t of v.tfjs) {
      console.log(`${v.variant.padEnd(18)} ${`${t.engine} ${t.backend} x${t.threads}`.padEnd(26)} train ${String(t.train_img_s).padStart(6)} img/s  infer ${String(t.infer_img_s).padStart(6)} img/s${t.infer_onnxruntime_img_s ? ` (ONNX Runtime ${t.infer_onnxruntime_img_s})` : ""}  heap ${t.peak_heap_mb} MB  rss ${t.peak_rss_mb} MB`);
    }
    for (const t of v.torch) {
      if ('error' in t) console.log(`${v.variant.padEnd(18)} pytorch failed: ${t.error}`);
      else console.log(`${v.variant.padEnd(18)} ${`pytorch ${t.layout} x${maxThreads}`.padEnd(26)} train ${String(t.train_img_s).padStart(6)} img/s  infer ${String(t.infer_img_s).padStart(6)} img/s`);
    }
    if (v.ratio) console.log(`${v.variant.padEnd(18)} ratio tfjs/pytorch: train ${v.ratio.train}, infer ${v.ratio.infer} (${v.ratio.train_vs})`);
  }
}

await main();
