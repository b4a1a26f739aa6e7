/**
 * A model export as a user does it from the Runs view, then the exported folder served over HTTP and
 * loaded in Chromium by stock TensorFlow.js alone (tf.min.js from the npm package, no studio code on
 * the page), which must give the studio's own predictions for real photos.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Tfjs from '@tensorflow/tfjs';
import { expect, screenshotPath, test } from './fixtures.js';
import { cifarMini, openView } from './trainingHelpers.js';

function cli(args: string[], workspace: string): string {
  return execFileSync(process.execPath, ['bin/attention-studio.js', ...args, '--workspace', workspace, '--json'], {
    env: { ...process.env, ATTENTION_STUDIO_HOME: path.join(workspace, '.home') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Serves `routes` (URL path prefix → folder or file) on 127.0.0.1, plus an empty page at /. */
async function serve(routes: Record<string, string>): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>stock tfjs</title><script src="/tf.min.js"></script>');
      return;
    }
    for (const [prefix, target] of Object.entries(routes)) {
      if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) continue;
      const file = url.pathname === prefix ? target : path.join(target, decodeURIComponent(url.pathname.slice(prefix.length + 1)));
      if (!file.startsWith(target) || !existsSync(file)) break;
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      response.writeHead(200, { 'content-type': type });
      createReadStream(file).pipe(response);
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('exports a run from the Runs view, and stock tfjs in Chromium reproduces its predictions from the folder', async ({ page, browser, studio }) => {
  test.setTimeout(300_000);
  const images = path.join(studio.workspace, 'source-images');
  for (const cls of ['airplane', 'cat', 'ship']) {
    mkdirSync(path.join(images, cls), { recursive: true });
    for (const file of readdirSync(path.join(cifarMini, cls)).sort().slice(0, 40)) cpSync(path.join(cifarMini, cls, file), path.join(images, cls, file));
  }
  cli(['import', images], studio.workspace);
  const trained = JSON.parse(cli(['train', '--model', 'lite-16', '--epochs', '1', '--image-size', '16', '--batch-size', '20'], studio.workspace).trim().split('\n').at(-1)!) as { run: number };

  await page.goto(studio.url);
  await openView(page, 'Runs');
  await page.getByRole('button', { name: `Export run #${trained.run}'s model` }).click();
  const dialog = page.getByRole('dialog', { name: /Export run/ });
  const expectedFolder = path.join(studio.workspace, 'exports', `run-${trained.run}`);
  await expect(dialog.getByLabel(/^Folder/)).toHaveValue(expectedFolder);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const report = dialog.getByTestId('export-report');
  await expect(report).toBeVisible({ timeout: 120_000 });
  await expect(dialog.getByTestId('export-folder')).toHaveText(expectedFolder);
  await expect(report).toContainText(/model\.json in @tensorflow\/tfjs 4\.22\.0 \(\w+ backend\): (\d+) of \1 predictions equal/);
  await expect(report).toContainText(/model\.onnx in onnxruntime-node 1\.30\.\d+ \(CPU\): (\d+) of \1 predictions equal/);
  await page.screenshot({ path: screenshotPath('model-export'), fullPage: true });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();

  // The studio's predictions for photos it never trained on, and the inputs prepare.mjs makes of them.
  const photos = ['airplane/0095.jpg', 'cat/0096.jpg', 'ship/0097.jpg', 'dog/0001.jpg'].map((f) => path.join(cifarMini, f));
  const studioPredictions = JSON.parse(cli(['predict', '--run', String(trained.run), ...photos], studio.workspace)) as {
    predictions: { file: string; predicted: string; probabilities: Record<string, number> }[];
  };
  // prepare.mjs imports sharp as a user's project would, from a node_modules above it.
  symlinkSync(path.resolve('node_modules'), path.join(studio.workspace, 'node_modules'));
  const { prepare } = (await import(pathToFileURL(path.join(expectedFolder, 'prepare.mjs')).href)) as { prepare: (file: string, layout: 'NHWC') => Promise<Float32Array> };
  const inputs = await Promise.all(photos.map(async (file) => Array.from(await prepare(file, 'NHWC'))));
  const labels = JSON.parse(readFileSync(path.join(expectedFolder, 'labels.json'), 'utf8')) as string[];

  const server = await serve({ '/tf.min.js': path.resolve('node_modules/@tensorflow/tfjs/dist/tf.min.js'), '/model': expectedFolder });
  const context = await browser.newContext();
  try {
    const stock = await context.newPage();
    await stock.goto(server.origin);
    const fromBrowser = await stock.evaluate(async (batch: number[][]) => {
      const tf = (globalThis as unknown as { tf: typeof Tfjs }).tf;
      await tf.setBackend('cpu');
      const model = await tf.loadLayersModel('/model/model.json');
      const [, height, width, channels] = model.inputs[0]!.shape as number[];
      const input = tf.tensor4d(batch.flat(), [batch.length, height!, width!, channels!]);
      const probabilities = tf.softmax(model.predict(input) as Tfjs.Tensor);
      const registered = Object.keys(tf.serialization.SerializationMap.getMap().classNameMap);
      return { probabilities: (await probabilities.array()) as number[][], registered, version: tf.version.tfjs };
    }, inputs);
    expect(fromBrowser.version).toBe('4.22.0');
    expect(fromBrowser.registered.filter((name) => /ResizeToReference|MaskActivation|BatchNormRelu/.test(name))).toEqual([]);
    studioPredictions.predictions.forEach((studioLine, i) => {
      const row = fromBrowser.probabilities[i]!;
      expect(labels[row.indexOf(Math.max(...row))]).toBe(studioLine.predicted);
      labels.forEach((label, c) => expect(Math.abs(row[c]! - studioLine.probabilities[label]!)).toBeLessThan(1e-4));
    });
  } finally {
    await context.close();
    await server.close();
  }
});
