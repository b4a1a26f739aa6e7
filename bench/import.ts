/**
 * End-to-end import throughput: decode, hash, thumbnail, training cache and insert.
 *
 *   npm run bench:import -- --json [--images 10000] [--concurrency 8] [--keep]
 *
 * The input is a CIFAR-style folder of `--images` JPEGs built from cifar10-mini by re-encoding each
 * picture at several JPEG qualities, so every file has its own content hash (an import of copies would
 * only measure the duplicate check). It is built once under the temp folder and reused; the workspace
 * is fresh on every run. The figure is imported images per second over the whole import.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { importImages } from '../electron/node/import/importer.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';

const source = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'shared', 'datasets', 'cifar10-mini');

function option(argv: string[], flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag}: expected a positive whole number`);
  return value;
}

/** Builds (or reuses) the input folder: variant v of image i is re-encoded at quality 95 - v. */
async function buildFolder(images: number, sourceFolder: string): Promise<string> {
  const folder = path.join(os.tmpdir(), `attention-studio-bench-import-${images}`);
  const marker = path.join(folder, '.complete');
  if (existsSync(marker)) return folder;
  rmSync(folder, { recursive: true, force: true });
  const files = readdirSync(sourceFolder).flatMap((cls) => readdirSync(path.join(sourceFolder, cls)).map((f) => ({ cls, f })));
  const jobs: { cls: string; f: string; variant: number }[] = [];
  for (let n = 0; n < images; n++) jobs.push({ ...files[n % files.length], variant: Math.floor(n / files.length) });
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) {
        const { cls, f, variant } = jobs[next++];
        const bytes = readFileSync(path.join(sourceFolder, cls, f));
        const out = await sharp(bytes).jpeg({ quality: 95 - (variant % 40) }).modulate({ brightness: 1 + Math.floor(variant / 40) * 0.02 }).toBuffer();
        mkdirSync(path.join(folder, cls), { recursive: true });
        writeFileSync(path.join(folder, cls, `${variant}_${f}`), out);
      }
    }),
  );
  writeFileSync(marker, '');
  return folder;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const images = option(argv, '--images', 10_000);
  const concurrency = option(argv, '--concurrency', 8);
  const sourceFolder = process.env.CIFAR10_MINI ?? source;
  const folder = await buildFolder(images, sourceFolder);
  const workspace = path.join(os.tmpdir(), `attention-studio-bench-workspace-${process.pid}`);
  rmSync(workspace, { recursive: true, force: true });
  const db = openWorkspaceDb(workspace);
  try {
    const cpuBefore = process.cpuUsage();
    const report = await importImages(db, { folder, workspace, concurrency });
    const cpu = process.cpuUsage(cpuBefore);
    const result = {
      images: report.imported,
      duplicates: report.duplicates,
      skipped: report.skipped.length,
      seconds: report.seconds,
      imagesPerSecond: report.imagesPerSecond,
      cpuSecondsPerImage: Number(((cpu.user + cpu.system) / 1e6 / Math.max(1, report.imported)).toFixed(5)),
      cores: os.availableParallelism(),
      loadAverage: os.loadavg()[0],
      databaseBytes: readFileSync(path.join(workspace, 'studio.sqlite')).length,
    };
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`Imported ${result.images} images in ${result.seconds.toFixed(2)} s: ${result.imagesPerSecond} images/s (${os.availableParallelism()} cores, load ${result.loadAverage.toFixed(1)})\n`);
  } finally {
    db.close();
    if (!argv.includes('--keep')) rmSync(workspace, { recursive: true, force: true });
  }
}

await main();
