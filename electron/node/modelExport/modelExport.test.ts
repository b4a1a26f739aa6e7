/**
 * A model export end to end, as a user meets it: images imported and a run trained through the CLI,
 * `attention-studio export`, then the export's own README snippets run with plain Node, stock
 * `@tensorflow/tfjs`, `onnxruntime-node` and sharp on real photos, which must give the studio's own
 * predictions for the same files. A colour run and a grey run; runs are tiny (lite-16 at 16x16).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelExportReport } from '../../common/contract/runs.js';
import { runCliCaptured as cli } from '../cli/testing/runCliCaptured.js';
import { cifar } from '../import/testing/hostileFolder.js';
import { packageRoot } from '../paths.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { InferenceClient } from '../training/inferenceClient.js';
import type { PreprocessingDocument } from './preprocessing.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const run = promisify(execFile);
const catsDogs = path.resolve(cifar, '..', 'cats-dogs');

let root: string;

/** Copies `count` images of each class into a class-folder tree, optionally as grey PNGs. */
async function imageFolder(name: string, classes: string[], count: number, grey = false): Promise<string> {
  const folder = path.join(root, name);
  for (const cls of classes) {
    mkdirSync(path.join(folder, cls), { recursive: true });
    for (const file of readdirSync(path.join(cifar, cls)).sort().slice(0, count)) {
      const source = path.join(cifar, cls, file);
      if (grey) await sharp(source).toColourspace('b-w').png().toFile(path.join(folder, cls, file.replace(/\.jpg$/, '.png')));
      else cpSync(source, path.join(folder, cls, file));
    }
  }
  return folder;
}

async function trainedWorkspace(name: string, images: string, ...extra: string[]): Promise<string> {
  const workspace = path.join(root, name);
  expect((await cli(['import', images, '--workspace', workspace])).code).toBe(0);
  const trained = await cli(['train', '--workspace', workspace, '--model', 'lite-16', '--image-size', '16', '--epochs', '1', '--batch-size', '16', '--backend', 'wasm', '--json', ...extra]);
  expect(trained.code, trained.stderr).toBe(0);
  return workspace;
}

async function exportWithCli(workspace: string, out: string, ...extra: string[]): Promise<ModelExportReport> {
  const result = await cli(['export', '--workspace', workspace, '--run', '1', '--out', out, '--backend', 'wasm', '--json', ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ModelExportReport;
}

/** The scripts the README shows: each code block is, word for word, the file its first line names. */
function readmeScripts(folder: string): string[] {
  const readme = readFileSync(path.join(folder, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n(\/\/ ([\w.-]+\.mjs)[\s\S]*?)```/g)];
  for (const [, body, name] of blocks) expect(readFileSync(path.join(folder, name!), 'utf8')).toBe(body);
  return blocks.map((b) => b[2]!);
}

interface SnippetLine {
  file: string;
  label: string;
  probabilities: number[];
}

async function runSnippet(folder: string, script: string, files: string[]): Promise<SnippetLine[]> {
  const { stdout } = await run(process.execPath, [path.join(folder, script), ...files], { cwd: folder, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as SnippetLine);
}

/** Studio predictions for files, as `attention-studio predict` makes them. */
async function studioPredictions(workspace: string, files: string[]) {
  const client = new InferenceClient(workspace, { backend: 'wasm' });
  try {
    return await client.predictFiles(1, files);
  } finally {
    await client.close();
  }
}

function expectSamePredictions(snippet: SnippetLine[], studio: Awaited<ReturnType<typeof studioPredictions>>, labels: string[]): void {
  expect(snippet.map((s) => s.file)).toEqual(studio.map((s) => s.file));
  snippet.forEach((line, i) => {
    const expected = studio[i]!;
    expect(expected.error).toBeNull();
    expect(line.label).toBe(expected.predicted);
    labels.forEach((label, c) => expect(Math.abs(line.probabilities[c]! - expected.probabilities![label]!)).toBeLessThan(1e-4));
  });
}

/** Real photos: CIFAR JPEGs (32x32), and cats-dogs JPEGs both under and over 64 KiB (the studio's large-file shortcut). */
function photos(): string[] {
  const cifarFiles = ['airplane/0090.jpg', 'cat/0091.jpg', 'ship/0092.jpg', 'cat/0093.jpg'].map((f) => path.join(cifar, f));
  const dogs = readdirSync(path.join(catsDogs, 'test', 'dog')).sort().map((f) => path.join(catsDogs, 'test', 'dog', f));
  const small = dogs.filter((f) => statSync(f).size <= 64 * 1024).slice(0, 2);
  const large = dogs.filter((f) => statSync(f).size > 64 * 1024).slice(0, 2);
  expect(large).toHaveLength(2);
  return [...cifarFiles, ...small, ...large];
}

beforeAll(() => {
  root = tempDir('studio-model-export-');
  // The snippets import their packages the way a user's project does: from a node_modules above them.
  symlinkSync(path.join(packageRoot(), 'node_modules'), path.join(root, 'node_modules'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a colour run exported in both formats', () => {
  let workspace: string;
  let folder: string;
  let report: ModelExportReport;

  beforeAll(async () => {
    workspace = await trainedWorkspace('colour-ws', await imageFolder('colour', ['airplane', 'cat', 'ship'], 40));
    folder = path.join(root, 'exported');
    report = await exportWithCli(workspace, folder);
  });

  it("is checked by stock tfjs and ONNX Runtime on the run's validation images before it is written", () => {
    expect(report.folder).toBe(folder);
    expect(report.split).toBe('val');
    expect(report.files.sort()).toEqual(['README.md', 'labels.json', 'model.json', 'model.onnx', 'predict-onnx.mjs', 'predict-tfjs.mjs', 'prepare.mjs', 'preprocessing.json', 'weights.bin']);
    expect(readdirSync(folder).sort()).toEqual(report.files.sort());
    expect(report.checks.map((c) => c.format)).toEqual(['tfjs', 'onnx']);
    for (const check of report.checks) {
      expect(check.images).toBeGreaterThan(0);
      expect(check.samePredictions).toBe(check.images);
      expect(check.maxProbabilityDifference).toBeLessThan(1e-4);
    }
    expect(report.checks[0]!.runtime).toMatch(/^@tensorflow\/tfjs 4\.22\.0 \((wasm|cpu) backend\)$/);
    expect(report.checks[1]!.runtime).toMatch(/^onnxruntime-node 1\.30\.\d+ \(CPU\)$/);
    expect(readFileSync(path.join(folder, 'README.md'), 'utf8')).toContain(`${report.checks[1]!.images} of ${report.checks[1]!.images} top-1 classes equal`);
  });

  it('says in preprocessing.json that pixels are scaled to 0..1 before the 0..1 mean and std', () => {
    const doc = JSON.parse(readFileSync(path.join(folder, 'preprocessing.json'), 'utf8')) as PreprocessingDocument;
    expect(doc.scale).toBeCloseTo(1 / 255, 12);
    expect(doc.pixelRange).toEqual([0, 255]);
    expect(doc.mean).toHaveLength(3);
    // Photos' channel means and spreads on the 0..1 scale (on 0..255 they would be ~120 and ~60).
    for (const m of doc.mean) expect(m).toSatisfy((v: number) => v > 0.2 && v < 0.8);
    for (const s of doc.std) expect(s).toSatisfy((v: number) => v > 0.1 && v < 0.5);
    expect(doc.resize).toMatchObject({ width: 16, height: 16, fit: 'fill', kernel: 'lanczos3' });
    expect(doc.layout.tfjs!.shape).toEqual(['N', 16, 16, 3]);
    expect(doc.layout.onnx!.shape).toEqual(['N', 3, 16, 16]);
    expect(doc.colour.order).toEqual(['red', 'green', 'blue']);
  });

  it("gives the studio's predictions for real photos when its README snippets are run as written", async () => {
    expect(readmeScripts(folder)).toEqual(['prepare.mjs', 'predict-tfjs.mjs', 'predict-onnx.mjs']);
    const files = photos();
    const labels = JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8')) as string[];
    const studio = await studioPredictions(workspace, files);
    expectSamePredictions(await runSnippet(folder, 'predict-tfjs.mjs', files), studio, labels);
    expectSamePredictions(await runSnippet(folder, 'predict-onnx.mjs', files), studio, labels);
  });

  it('replaces an earlier export in the same folder, and refuses a folder holding anything else', async () => {
    const again = await exportWithCli(workspace, folder, '--format', 'tfjs');
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'labels.json', 'model.json', 'predict-tfjs.mjs', 'prepare.mjs', 'preprocessing.json', 'weights.bin']);
    expect(again.checks.map((c) => c.format)).toEqual(['tfjs']);

    const busy = path.join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    const refused = await cli(['export', '--workspace', workspace, '--run', '1', '--out', busy]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${busy} already holds other files; choose a new or empty folder`);
    expect(readdirSync(busy)).toEqual(['notes.txt']);
  });

  it('says what to do when the folder cannot be made, before evaluating anything', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    const target = path.join(file, 'model');
    const result = await cli(['export', '--workspace', workspace, '--run', '1', '--out', target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Could not write the export to ${target}: part of the path is a file, not a folder`);
  });

  it('refuses a bad --format before doing anything', async () => {
    const result = await cli(['export', '--workspace', workspace, '--run', '1', '--out', path.join(root, 'never'), '--format', 'pt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--format: "pt" is not one of tfjs, onnx, both');
    expect(existsSync(path.join(root, 'never'))).toBe(false);
  });
});

describe('a grey run exported as ONNX only', () => {
  it("follows preprocessing.json's grey conversion: colour and grey photos give the studio's predictions", async () => {
    const workspace = await trainedWorkspace('grey-ws', await imageFolder('grey', ['cat', 'ship'], 30, true));
    const folder = path.join(root, 'grey-export');
    const report = await exportWithCli(workspace, folder, '--format', 'onnx');
    expect(report.files.sort()).toEqual(['README.md', 'labels.json', 'model.onnx', 'predict-onnx.mjs', 'prepare.mjs', 'preprocessing.json']);
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]!.samePredictions).toBe(report.checks[0]!.images);
    const doc = JSON.parse(readFileSync(path.join(folder, 'preprocessing.json'), 'utf8')) as PreprocessingDocument;
    expect(doc.colour.channels).toBe(1);
    expect(doc.layout.onnx!.shape).toEqual(['N', 1, 16, 16]);
    expect(doc.layout.tfjs).toBeUndefined();

    expect(readmeScripts(folder)).toEqual(['prepare.mjs', 'predict-onnx.mjs']);
    const greyPhoto = path.join(root, 'grey', 'cat', readdirSync(path.join(root, 'grey', 'cat')).sort()[0]!);
    const files = [greyPhoto, ...photos()];
    const labels = JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8')) as string[];
    expectSamePredictions(await runSnippet(folder, 'predict-onnx.mjs', files), await studioPredictions(workspace, files), labels);
  });
});

/** Cat and dog photos of mixed shapes (portrait and landscape), `count` of each. */
function photoFolder(name: string, count: number): string {
  const folder = path.join(root, name);
  for (const cls of ['cat', 'dog']) {
    mkdirSync(path.join(folder, cls), { recursive: true });
    for (const file of readdirSync(path.join(catsDogs, 'train', cls)).sort().slice(0, count)) cpSync(path.join(catsDogs, 'train', cls, file), path.join(folder, cls, file));
  }
  return folder;
}

describe.each([
  { policy: 'letterbox', fit: 'contain', background: [0, 0, 0] },
  { policy: 'centre-crop', fit: 'cover', background: null },
])('a $policy run exported as ONNX', ({ policy, fit, background }) => {
  it("states the policy in preprocessing.json, and its snippet gives the studio's predictions on photos of every shape", async () => {
    const workspace = await trainedWorkspace(`${policy}-ws`, photoFolder(`${policy}-photos`, 20), '--resize', policy);
    const folder = path.join(root, `${policy}-export`);
    const report = await exportWithCli(workspace, folder, '--format', 'onnx');
    expect(report.checks[0]!.samePredictions).toBe(report.checks[0]!.images);
    const doc = JSON.parse(readFileSync(path.join(folder, 'preprocessing.json'), 'utf8')) as PreprocessingDocument;
    expect(doc.resize).toMatchObject({ policy, fit, position: 'centre', background, width: 16, height: 16 });
    expect(doc.summary).toContain(policy === 'letterbox' ? 'centre it on a black 16x16 square' : 'keep the centred 16x16 square');
    const files = photos();
    const labels = JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8')) as string[];
    const studio = await studioPredictions(workspace, files);
    expectSamePredictions(await runSnippet(folder, 'predict-onnx.mjs', files), studio, labels);
  });
});
