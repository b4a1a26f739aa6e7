/**
 * Predicting a folder as a user does, against the inference benchmark, in one run.
 *
 *   npm run bench:predict -- --json [--images 10000] [--model lite-32] [--threads 2] [--epochs 1]
 *
 * A folder of `--images` 32x32 JPEGs is made from the CIFAR-10 mini set (each picture as it is and
 * flipped, shifted and re-encoded, so no two files are the same bytes). A run of the model is trained on
 * the mini set for `--epochs` (its weights do not change the speed), then the CLI predicts the folder in
 * a process of its own: `attention-studio predict --workspace W --run ID FOLDER --json`, timed from the
 * process's start to its exit, so start-up, listing, reading, decoding and printing are all counted.
 * Beside it, `bench:train`'s inference figures for the same model, batch 64 and threads (its child
 * process, best of the steps: the tfjs graph and ONNX Runtime), and the ratio of predict to the faster
 * of the two, the engine the studio predicts with. The target: predict at 2/3 of it or more.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { cifarMini, defaultRecipe, openStudioBench } from './studioRuns.js';
import { runConfigSchema } from '../electron/common/contract/runs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '10000' },
    model: { type: 'string', default: 'lite-32' },
    threads: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const count = Number(values.images);
const threads = Number(values.threads);
const round1 = (x: number) => Math.round(x * 10) / 10;

/** `count` distinct 32x32 JPEGs from the mini set's pictures: variants 0..k of each, in turn. */
async function makeFolder(folder: string): Promise<void> {
  const sources = readdirSync(cifarMini).flatMap((label) => readdirSync(path.join(cifarMini, label)).sort().map((f) => path.join(cifarMini, label, f)));
  mkdirSync(folder, { recursive: true });
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length]!;
    const variant = Math.floor(i / sources.length);
    let image = sharp(source);
    if (variant % 2 === 1) image = image.flop();
    const shift = variant >> 1; // 0..n pixels to the right, by an edge-extended crop
    if (shift > 0) image = image.extend({ left: shift, extendWith: 'copy' }).extract({ left: 0, top: 0, width: 32, height: 32 });
    jobs.push(image.jpeg({ quality: 90 - (variant % 5) }).toFile(path.join(folder, `${String(i).padStart(5, '0')}.jpg`)));
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'studio-bench-predict-'));
  try {
    const folder = path.join(root, 'photos');
    log(`making ${count} JPEGs`);
    await makeFolder(folder);

    const bench = await openStudioBench(cifarMini, { threads, keep: path.join(root, 'studio') });
    let runId: number;
    try {
      const run = bench.manager.create(runConfigSchema.parse({ ...defaultRecipe, model: values.model, imageSize: 32, epochs: Number(values.epochs) }), 'predict bench');
      runId = run.id;
      const outcome = await bench.manager.waitFor(run.id);
      if (outcome.type !== 'finished') throw new Error(`the run ended ${JSON.stringify(outcome)}`);
      log(`trained run ${run.id}`);
    } finally {
      await bench.close();
    }

    const cli = path.join(here, '..', 'bin', 'attention-studio.js');
    const started = performance.now();
    const predict = spawnSync(process.execPath, [cli, 'predict', '--workspace', bench.workspace, '--run', String(runId), '--backend', 'wasm', folder, '--json'], {
      encoding: 'utf8', maxBuffer: 1 << 30,
    });
    const seconds = (performance.now() - started) / 1000;
    if (predict.status !== 0) throw new Error(`predict failed (${predict.status}): ${predict.stderr.slice(-2000)}`);
    const predictions = (JSON.parse(predict.stdout) as { predictions: { error: string | null }[] }).predictions;
    const failed = predictions.filter((p) => p.error).length;
    log(`predict: ${predictions.length} files in ${seconds.toFixed(1)} s`);

    const train = spawnSync(process.execPath, [...process.execArgv, path.join(here, 'train.ts'), '--child', '--variants', values.model!, '--threads', String(threads), '--batch', '64', '--size', '32', '--steps', '5', '--backend', 'wasm'], {
      encoding: 'utf8', maxBuffer: 1 << 24,
    });
    const line = train.stdout.split('\n').find((l) => l.startsWith('{'));
    if (train.status !== 0 || !line) throw new Error(`the inference benchmark failed: ${train.stderr.slice(-2000)}`);
    const inference = JSON.parse(line) as { infer_img_s: number; infer_onnxruntime_img_s: number | null };
    // The studio predicts with the faster engine where they agree (ml/infer/onnxClassifier.ts).
    const inferImgS = Math.max(inference.infer_img_s, inference.infer_onnxruntime_img_s ?? 0);

    const predictImgS = predictions.length / seconds;
    const report = {
      benchmark: 'predict',
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map(round1) },
      model: values.model,
      backend: 'wasm',
      threads,
      images: predictions.length,
      failed,
      predict_seconds: round1(seconds),
      predict_img_s: round1(predictImgS),
      infer_img_s: inferImgS,
      infer_tfjs_img_s: inference.infer_img_s,
      infer_onnxruntime_img_s: inference.infer_onnxruntime_img_s,
      ratio: Math.round((predictImgS / inferImgS) * 1000) / 1000,
      note: 'predict: the CLI in its own process, start-up included; infer: bench:train\'s inference figures (batch 64, best of 5 steps), the faster engine',
    };
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else log(`predict ${report.predict_img_s} img/s, inference benchmark ${inferImgS} img/s: ${report.ratio}x`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
