/**
 * The export folder's README.md: what each file is, and snippets that run the model in Node with
 * stock TensorFlow.js and with ONNX Runtime, following preprocessing.json. The snippets are tested as
 * written (modelExport.test.ts extracts them from the README and runs them on real photos).
 */
import type { ExportFormat } from './check.js';
import type { PreprocessingDocument } from './preprocessing.js';

/** File name (first line of each block) → code. */
export const snippets = {
  'prepare.mjs': `// prepare.mjs: an image file → the model's input, as preprocessing.json says
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';

const pre = JSON.parse(await readFile(new URL('./preprocessing.json', import.meta.url), 'utf8'));

export async function prepare(file, layout /* 'NHWC' for model.json, 'NCHW' for model.onnx */) {
  const bytes = await readFile(file);
  const { width, height, orientation } = await sharp(bytes).metadata();
  const [w, h] = (orientation ?? 1) >= 5 ? [height, width] : [width, height];
  let decoder = sharp(bytes).rotate();
  const shortcut = pre.decode.reduceWhileDecoding; // what the studio does with large files
  if (bytes.length > shortcut.fileBytesOver && w > shortcut.bothSidesOver && h > shortcut.bothSidesOver) {
    decoder = decoder.resize(shortcut.width, shortcut.height, { fit: 'outside', withoutEnlargement: true });
  }
  const decoded = await decoder.raw().toBuffer({ resolveWithObject: true });
  let image = sharp(decoded.data, { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels } });
  if (decoded.info.channels % 2 === 0) image = image.flatten({ background: '#ffffff' }); // grey+alpha, RGBA
  const [r0, g0, b0] = pre.resize.background ?? [0, 0, 0]; // letterbox bars
  const fit = { fit: pre.resize.fit, position: pre.resize.position, background: { r: r0, g: g0, b: b0, alpha: 1 } };
  const { data, info } = await image.resize(pre.resize.width, pre.resize.height, fit).raw().toBuffer({ resolveWithObject: true });
  const channels = pre.colour.channels, plane = info.width * info.height, x = new Float32Array(plane * channels);
  for (let i = 0; i < plane; i++) {
    const [r, g, b] = info.channels >= 3 ? data.subarray(i * info.channels, i * info.channels + 3) : [data[i], data[i], data[i]];
    const p = channels === 3 ? [r, g, b] : [info.channels >= 3 ? Math.round(0.299 * r + 0.587 * g + 0.114 * b) : r];
    for (let c = 0; c < channels; c++) {
      x[layout === 'NHWC' ? i * channels + c : c * plane + i] = (p[c] * pre.scale - pre.mean[c]) / pre.std[c];
    }
  }
  return x;
}
`,
  'predict-tfjs.mjs': `// predict-tfjs.mjs: node predict-tfjs.mjs photo.jpg …
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { prepare } from './prepare.mjs';

const read = (name) => readFile(new URL(name, import.meta.url));
const json = JSON.parse(await read('model.json'));
const weights = await read('weights.bin');
const model = await tf.loadLayersModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
  weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
}));
const labels = JSON.parse(await read('labels.json'));
const [, height, width, channels] = JSON.parse(await read('preprocessing.json')).layout.tfjs.shape;
for (const file of process.argv.slice(2)) {
  const input = tf.tensor4d(await prepare(file, 'NHWC'), [1, height, width, channels]);
  const probabilities = Array.from(await tf.softmax(model.predict(input)).data());
  const best = probabilities.indexOf(Math.max(...probabilities));
  console.log(JSON.stringify({ file, label: labels[best], probabilities }));
}
`,
  'predict-onnx.mjs': `// predict-onnx.mjs: node predict-onnx.mjs photo.jpg …
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { prepare } from './prepare.mjs';

const here = (name) => new URL(name, import.meta.url);
const session = await ort.InferenceSession.create(fileURLToPath(here('model.onnx')));
const labels = JSON.parse(await readFile(here('labels.json'), 'utf8'));
const pre = JSON.parse(await readFile(here('preprocessing.json'), 'utf8'));
const shape = pre.layout.onnx.shape.map((d) => (d === 'N' ? 1 : d));
for (const file of process.argv.slice(2)) {
  const outputs = await session.run({ [pre.layout.onnx.input]: new ort.Tensor('float32', await prepare(file, 'NCHW'), shape) });
  const logits = Array.from(outputs[pre.output.name].data);
  const exps = logits.map((v) => Math.exp(v - Math.max(...logits)));
  const probabilities = exps.map((v) => v / exps.reduce((a, b) => a + b, 0));
  const best = probabilities.indexOf(Math.max(...probabilities));
  console.log(JSON.stringify({ file, label: labels[best], probabilities }));
}
`,
} as const;

export type SnippetName = keyof typeof snippets;

/** The snippets an export of these formats carries: the preparation and one predictor per runtime. */
export function snippetFiles(formats: ExportFormat[]): SnippetName[] {
  return ['prepare.mjs', ...(formats.includes('tfjs') ? ['predict-tfjs.mjs' as const] : []), ...(formats.includes('onnx') ? ['predict-onnx.mjs' as const] : [])];
}

function block(name: SnippetName): string {
  return '```js\n' + snippets[name] + '```\n';
}

export interface ReadmeFacts {
  runId: number;
  runName: string;
  variant: string;
  classes: string[];
  formats: ExportFormat[];
  preprocessing: PreprocessingDocument;
  /** One line per checked format: runtime and agreement. */
  checks: string[];
}

export function exportReadme(facts: ReadmeFacts): string {
  const pre = facts.preprocessing;
  const onnxInput = pre.layout.onnx?.input ?? 'image';
  const size = `${pre.resize.width}x${pre.resize.height}`;
  const tfjs = facts.formats.includes('tfjs');
  const onnx = facts.formats.includes('onnx');
  const files = [
    tfjs ? '| `model.json`, `weights.bin` | TensorFlow.js Layers model of stock layers only: `tf.loadLayersModel` loads it with plain `@tensorflow/tfjs`, in Node or a browser. Input NHWC `[N, ' + `${pre.resize.height}, ${pre.resize.width}, ${pre.colour.channels}` + ']`. |' : null,
    onnx ? '| `model.onnx` | ONNX, opset 17, for ONNX Runtime and the converters to TensorRT, Core ML and TFLite. Input `' + onnxInput + '` NCHW `[N, ' + `${pre.colour.channels}, ${pre.resize.height}, ${pre.resize.width}` + ']`, float32; batch size free. |' : null,
    '| `labels.json` | class names; output index i is `labels[i]` |',
    '| `preprocessing.json` | what to do to a file to get the input: decode, colour, resize, scale, mean, std, layout |',
  ].filter((line) => line !== null);
  const scripts = snippetFiles(facts.formats);
  const packages = ['sharp', tfjs ? '@tensorflow/tfjs' : null, onnx ? 'onnxruntime-node' : null].filter(Boolean).join(' ');
  return `# ${facts.variant} from run ${facts.runId} (${facts.runName})

A Residual Attention Network (Wang et al., CVPR 2017) trained in Attention Studio to tell ${facts.classes.length} classes apart:
${facts.classes.map((name) => `\`${name}\``).join(', ')}.

| file | what |
| --- | --- |
${files.join('\n')}

## Input

${pre.summary}

The model outputs **logits**; apply softmax for probabilities. Mean and std are on the 0..1 scale: divide
0..255 pixels by 255 first (\`scale\`).

## Run it in Node

The scripts below are in this folder. \`npm install ${packages}\` (in this folder or one above it), then
\`node ${scripts[1]} photo.jpg\`: one JSON line per image, with the label and every class's probability.

${scripts.map(block).join('\n')}
In a browser, \`await tf.loadLayersModel('https://…/model.json')\` loads the TensorFlow.js model
from where this folder is served (same NHWC input). Resizing with another library (PIL, OpenCV, a
canvas) gives pixels within a few grey levels of libvips's and probabilities close to, not identical
with, the studio's.

## Checked when exported

Before this folder was written, its files were loaded by the stock runtimes, without any of the
studio's code, and run on the run's validation images prepared as preprocessing.json says:

${facts.checks.map((line) => `- ${line}`).join('\n')}

Input size ${size}, model ${facts.variant}, run ${facts.runId}.
`;
}
