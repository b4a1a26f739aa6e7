/**
 * One convolution at a time: forward, input gradient and filter gradient on the selected tfjs backend
 * against PyTorch CPU (bench/torch_conv.py) on the same shapes, to show which part of a training step
 * is behind and by how much. The shapes are attention56-cifar's at batch 64 (32x32x3 input).
 *
 *   npm run bench:conv -- --json [--threads 2] [--runs 8] [--backend wasm] [--no-torch]
 *
 * Each figure is the best of `runs` timings; every run gets a fresh filter tensor, as in training
 * (XNNPACK packs a filter once per tensor).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, initBackend, isBackendName, probeBackends } from '../ml/engine/backends.js';

/** [batch, height, width, in channels, out channels, kernel, stride] */
type Shape = [number, number, number, number, number, number, number];

const SHAPES: Shape[] = [
  [64, 32, 32, 64, 16, 1, 1],
  [64, 32, 32, 16, 16, 3, 1],
  [64, 32, 32, 16, 64, 1, 1],
  [64, 16, 16, 128, 32, 1, 1],
  [64, 16, 16, 32, 32, 3, 1],
  [64, 16, 16, 32, 128, 1, 1],
  [64, 8, 8, 256, 64, 1, 1],
  [64, 8, 8, 64, 64, 3, 1],
  [64, 8, 8, 64, 256, 1, 1],
];

interface Times {
  forward_ms: number;
  input_grad_ms: number;
  filter_grad_ms: number;
}

function value(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function bestMs(runs: number, prepare: () => tf.Tensor[], run: (inputs: tf.Tensor[]) => tf.Tensor): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= runs; i++) {
    const inputs = prepare();
    for (const t of inputs) t.dataSync();
    const start = performance.now();
    const out = run(inputs);
    out.dataSync();
    const ms = performance.now() - start;
    if (i > 0) best = Math.min(best, ms);
    tf.dispose([out, ...inputs]);
  }
  return best;
}

function timeShape([batch, h, w, cin, cout, k, stride]: Shape, runs: number): Times {
  const pad = 'same' as const;
  const xShape: [number, number, number, number] = [batch, h, w, cin];
  const filterShape: [number, number, number, number] = [k, k, cin, cout];
  const [ho, wo] = [Math.ceil(h / stride), Math.ceil(w / stride)];
  const dyShape: [number, number, number, number] = [batch, ho, wo, cout];
  const conv = { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
  return {
    forward_ms: bestMs(runs, () => [tf.randomNormal(xShape), tf.randomNormal(filterShape)],
      ([x, f]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad)),
    input_grad_ms: bestMs(runs, () => [tf.randomNormal(dyShape), tf.randomNormal(filterShape)],
      ([dy, f]) => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, { ...conv, inputShape: xShape }) as tf.Tensor),
    filter_grad_ms: bestMs(runs, () => [tf.randomNormal(xShape), tf.randomNormal(dyShape)],
      ([x, dy]) => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...conv, filterShape }) as tf.Tensor),
  };
}

function torchTimes(threads: number, runs: number): { engine: string; shapes: Record<string, Times>[] } | { error: string } {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_conv.py');
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) continue;
    const run = spawnSync(python, [script, '--threads', String(threads), '--runs', String(runs), '--shapes', JSON.stringify(SHAPES)],
      { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    if (run.status !== 0 || !line) return { error: (run.stderr || 'no output').slice(-500) };
    return JSON.parse(line) as { engine: string; shapes: Record<string, Times>[] };
  }
  return { error: 'no Python with torch (Debian: apt install python3-torch)' };
}

const sum = (rows: Times[], key: keyof Times): number => rows.reduce((total, row) => total + row[key], 0);
const round = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const threads = Number(value(argv, '--threads') ?? 2);
  const runs = Number(value(argv, '--runs') ?? 8);
  const forced = value(argv, '--backend');
  if (forced !== undefined && !isBackendName(forced)) throw new Error(`unknown backend '${forced}'`);
  const choice = chooseBackend(await probeBackends(), forced);
  if (!choice.name) throw new Error(choice.reason);
  const backend = await initBackend(choice.name, { threads });
  const tfjs = SHAPES.map((shape) => timeShape(shape, runs));
  const torch = argv.includes('--no-torch') ? null : torchTimes(threads, runs);
  const keys: (keyof Times)[] = ['forward_ms', 'input_grad_ms', 'filter_grad_ms'];
  const totals = (rows: Times[]): Record<string, number> =>
    Object.fromEntries([...keys.map((key) => [key, round(sum(rows, key))]), ['all_ms', round(keys.reduce((t, key) => t + sum(rows, key), 0))]]);
  const result: Record<string, unknown> = {
    benchmark: 'conv',
    backend: backend.name,
    threads: backend.threads,
    shapes: SHAPES.map((shape, i) => ({
      shape: { batch: shape[0], height: shape[1], width: shape[2], in: shape[3], out: shape[4], kernel: shape[5], stride: shape[6] },
      tfjs: Object.fromEntries(keys.map((key) => [key, round(tfjs[i][key])])),
      torch: torch && 'shapes' in torch ? torch.shapes[i] : null,
    })),
    totals: { tfjs: totals(tfjs) } as Record<string, unknown>,
  };
  if (torch && 'shapes' in torch) {
    const totalsOf = (layout: string): Record<string, number> => totals(torch.shapes.map((row) => row[layout]));
    const layouts = { NCHW: totalsOf('NCHW'), 'channels-last': totalsOf('channels-last') };
    (result.totals as Record<string, unknown>).torch = { engine: torch.engine, ...layouts };
    // PyTorch time / tfjs time: 1 means as fast as PyTorch.
    result.speed_vs_torch = Object.fromEntries(Object.entries(layouts).map(([layout, t]) => [layout,
      Object.fromEntries([...keys, 'all_ms'].map((key) => [key.replace('_ms', ''), round(t[key] / (result.totals as { tfjs: Record<string, number> }).tfjs[key])]))]));
  } else if (torch) {
    result.torch_error = torch.error;
  }
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    console.log(`${backend.name}, ${backend.threads} thread(s): conv totals (ms)`, result.totals);
    if (result.speed_vs_torch) console.log('speed against PyTorch (1 = as fast)', result.speed_vs_torch);
  }
  process.exit(0);
}

await main();
