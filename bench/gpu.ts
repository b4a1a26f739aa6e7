/**
 * Training and inference speed on the GPU: `lite-32` and `attention56-cifar` at 32x32 and the ImageNet
 * `attention56` at 224x224, on every GPU backend available here (WebGPU on a real adapter; tfjs-node-gpu
 * on CUDA), beside PyTorch on the same card when a CUDA build of it is installed, with the ratio.
 *
 *   npm run bench:gpu -- --json [--steps 5] [--variants lite-32,attention56-cifar,attention56]
 *                               [--software] [--timeout 900]
 *
 * `--software` also measures a software adapter (SwiftShader), to check that the benchmark itself runs
 * on a machine without a GPU; its figures say nothing about GPUs. Each run is a child process of
 * bench/train.ts (fresh tfjs, its own peaks); figures are best-of-N steps.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeBackends, type BackendName, type BackendProbe } from '../ml/engine/backends.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Config {
  variant: string;
  size: number;
  batch: number;
  classes: number;
}

const configs: Config[] = [
  { variant: 'lite-32', size: 32, batch: 64, classes: 10 },
  { variant: 'attention56-cifar', size: 32, batch: 64, classes: 10 },
  { variant: 'attention56', size: 224, batch: 32, classes: 1000 },
];

function option(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function gpuBackends(probes: BackendProbe[], software: boolean): BackendProbe[] {
  return probes.filter((p) => {
    if (!p.available) return false;
    if (p.name === 'webgpu') return software || !p.software;
    return p.name === 'tensorflow' && /cuda|gpu/i.test(p.device ?? '');
  });
}

function runTfjs(backend: BackendName, config: Config, steps: number, timeoutSeconds: number): Record<string, unknown> {
  const args = [...process.execArgv, path.join(here, 'train.ts'), '--child', '--backend', backend, '--variants', config.variant,
    '--size', String(config.size), '--batch', String(config.batch), '--classes', String(config.classes), '--steps', String(steps), '--threads', '1'];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: timeoutSeconds * 1000 });
  const line = child.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || !line) {
    const why = child.error ? child.error.message : (child.stderr || child.stdout || '').trim().split('\n').slice(-3).join(' ');
    return { error: why.slice(-600) };
  }
  return JSON.parse(line) as Record<string, unknown>;
}

/** A Python whose torch sees a CUDA device. */
function cudaTorchPython(): { python: string; device: string } | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim()) return { python, device: probe.stdout.trim() };
  }
  return null;
}

function runTorch(python: string, config: Config, steps: number, channelsLast: boolean): Record<string, unknown> {
  const args = [path.join(here, 'torch_ran.py'), '--variant', config.variant, '--size', String(config.size), '--batch', String(config.batch),
    '--classes', String(config.classes), '--steps', String(steps), '--device', 'cuda'];
  if (channelsLast) args.push('--channels-last');
  const run = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (run.status !== 0 || !line) return { error: (run.stderr || 'no output').slice(-600) };
  return JSON.parse(line) as Record<string, unknown>;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const steps = Number(option(argv, '--steps') ?? 5);
  const timeout = Number(option(argv, '--timeout') ?? 900);
  const wanted = option(argv, '--variants')?.split(',');
  const selected = wanted ? configs.filter((c) => wanted.includes(c.variant)) : configs;
  const probes = await probeBackends();
  const backends = gpuBackends(probes, argv.includes('--software'));
  const torch = cudaTorchPython();
  const report: Record<string, unknown> = {
    benchmark: 'gpu',
    machine: { platform: `${process.platform}/${process.arch}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' },
    backends: probes.map((p) => ({ name: p.name, available: p.available, software: p.software ?? false, device: p.device ?? null, reason: p.reason })),
    pytorch_cuda: torch?.device ?? null,
  };
  if (backends.length === 0) {
    report.measured = false;
    report.reason = 'no GPU backend is available here (WebGPU needs a real adapter; tensorflow needs @tensorflow/tfjs-node-gpu with CUDA): GPU speed is unmeasured on this machine';
  } else {
    report.measured = true;
    report.results = selected.map((config) => {
      const tfjs = Object.fromEntries(backends.map((b) => [b.name, runTfjs(b.name, config, steps, timeout)]));
      const pytorch = torch ? { NCHW: runTorch(torch.python, config, steps, false), 'channels-last': runTorch(torch.python, config, steps, true) } : null;
      const bestTorch = (key: 'train_img_s' | 'infer_img_s'): number | null => {
        const values = pytorch ? Object.values(pytorch).map((r) => r[key]).filter((v): v is number => typeof v === 'number') : [];
        return values.length ? Math.max(...values) : null;
      };
      const ratio = Object.fromEntries(
        Object.entries(tfjs).map(([name, run]) => {
          const train = bestTorch('train_img_s');
          const infer = bestTorch('infer_img_s');
          return [name, typeof run.train_img_s === 'number' && train && infer
            ? { train: round3(run.train_img_s / train), infer: round3((run.infer_img_s as number) / infer) }
            : null];
        }),
      );
      return { ...config, tfjs, pytorch, ratio_vs_best_pytorch: ratio };
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  if (!report.measured) {
    console.log(report.reason);
    return;
  }
  for (const r of report.results as { variant: string; size: number; batch: number; tfjs: Record<string, Record<string, unknown>>; pytorch: Record<string, Record<string, unknown>> | null; ratio_vs_best_pytorch: Record<string, unknown> }[]) {
    for (const [name, run] of Object.entries(r.tfjs)) {
      console.log(`${r.variant} ${r.size}x${r.size} b${r.batch}  tfjs ${name}: ${run.error ? `failed: ${String(run.error)}` : `train ${run.train_img_s} img/s, infer ${run.infer_img_s} img/s`}`);
    }
    for (const [layout, run] of Object.entries(r.pytorch ?? {})) {
      console.log(`${r.variant} ${r.size}x${r.size} b${r.batch}  pytorch cuda ${layout}: ${run.error ? 'failed' : `train ${run.train_img_s} img/s, infer ${run.infer_img_s} img/s`}`);
    }
    console.log(`  ratio: ${JSON.stringify(r.ratio_vs_best_pytorch)}`);
  }
}

await main();
