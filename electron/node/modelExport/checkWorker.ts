/**
 * The export's checker, in a worker thread of its own: it loads the exported files the way someone
 * without the studio would, with stock `@tensorflow/tfjs` (and its stock WASM backend when it loads)
 * and `onnxruntime-node`, follows preprocessing.json literally on the run's validation pixels, and
 * compares the predictions with the ones the studio stored.
 *
 * Nothing here may import the studio's model code: that would register its custom layers and let a
 * model.json that needs them load. The checker refuses to start if any of them is registered.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { projectLayerClassNames } from '../../../ml/export/projectLayers.js';
import type { CheckChunk, CheckReply, CheckStart, ExportFormat, FormatCheck } from './check.js';
import { inputFromPixels, type PreprocessingDocument } from './preprocessing.js';

const BATCH = 64;
/** Two float ties in the studio's own probabilities: either class is the same prediction. */
const TIE = 1e-6;

/** The project's layer classes registered in this thread's tfjs: must be none. */
export function registeredProjectLayers(): string[] {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  return projectLayerClassNames.filter((name) => name in registered);
}

async function useStockBackend(): Promise<string> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) return 'wasm';
  } catch {
    // the stock JavaScript backend below computes the same, only slower
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

interface Runner {
  format: ExportFormat;
  runtime: string;
  /** Softmax probabilities of `count` images, [count, classes]. */
  probabilities(pixels: Uint8Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

function imageShape(doc: PreprocessingDocument): [number, number, number] {
  return [doc.resize.height, doc.resize.width, doc.colour.channels];
}

async function tfjsRunner(folder: string, doc: PreprocessingDocument): Promise<Runner> {
  if (!doc.layout.tfjs) throw new Error('preprocessing.json describes no TensorFlow.js input');
  const modelJson = JSON.parse(await readFile(path.join(folder, doc.layout.tfjs.file), 'utf8')) as tf.io.ModelJSON;
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const file of group.paths) {
      const bytes = await readFile(path.join(folder, file));
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const backend = await useStockBackend();
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
      weightData: tf.io.CompositeArrayBuffer.join(buffers),
    }),
  );
  const [height, width, channels] = imageShape(doc);
  return {
    format: 'tfjs',
    runtime: `@tensorflow/tfjs ${tf.version.tfjs} (${backend} backend)`,
    async probabilities(pixels, count) {
      const input = inputFromPixels(pixels, count, doc, 'NHWC');
      const output = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input, [count, height, width, channels])) as tf.Tensor));
      try {
        return Float32Array.from(await output.data());
      } finally {
        output.dispose();
      }
    },
    async dispose() {
      model.dispose();
    },
  };
}

function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let offset = 0; offset < logits.length; offset += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[offset + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[offset + c] = Math.exp(logits[offset + c]! - max);
    for (let c = 0; c < classes; c++) out[offset + c]! /= sum;
  }
  return out;
}

async function onnxRunner(folder: string, doc: PreprocessingDocument, classes: number): Promise<Runner> {
  const layout = doc.layout.onnx;
  if (!layout) throw new Error('preprocessing.json describes no ONNX input');
  const session = await ort.InferenceSession.create(path.join(folder, layout.file));
  const [height, width, channels] = imageShape(doc);
  return {
    format: 'onnx',
    runtime: `onnxruntime-node ${ort.env.versions.common} (CPU)`,
    async probabilities(pixels, count) {
      const input = new ort.Tensor('float32', inputFromPixels(pixels, count, doc, 'NCHW'), [count, channels, height, width]);
      const logits = (await session.run({ [layout.input]: input }))[doc.output.name];
      if (!logits) throw new Error(`model.onnx has no output named ${doc.output.name}`);
      return softmaxRows(logits.data as Float32Array, classes);
    },
    async dispose() {
      await session.release();
    },
  };
}

function argmax(values: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/** One check: the runners of the requested formats and their running totals. */
class Check {
  private constructor(
    private readonly runners: Runner[],
    private readonly classes: number,
    private readonly doc: PreprocessingDocument,
    private readonly totals: FormatCheck[],
  ) {}

  static async start(message: CheckStart): Promise<Check> {
    const registered = registeredProjectLayers();
    if (registered.length > 0) {
      throw new Error(`the checker's tfjs has the studio's layers registered (${registered.join(', ')}), so it cannot tell whether stock tfjs loads the export`);
    }
    const doc = JSON.parse(await readFile(path.join(message.folder, 'preprocessing.json'), 'utf8')) as PreprocessingDocument;
    const runners: Runner[] = [];
    for (const format of message.formats) {
      runners.push(format === 'tfjs' ? await tfjsRunner(message.folder, doc) : await onnxRunner(message.folder, doc, message.classes));
    }
    const totals = runners.map((r) => ({ format: r.format, runtime: r.runtime, images: 0, samePredictions: 0, maxProbabilityDifference: 0 }));
    return new Check(runners, message.classes, doc, totals);
  }

  async add(chunk: CheckChunk): Promise<void> {
    const k = this.classes;
    const perImage = imageShape(this.doc).reduce((a, b) => a * b, 1);
    for (const [r, runner] of this.runners.entries()) {
      const total = this.totals[r]!;
      for (let start = 0; start < chunk.count; start += BATCH) {
        const count = Math.min(BATCH, chunk.count - start);
        const probabilities = await runner.probabilities(chunk.pixels.subarray(start * perImage, (start + count) * perImage), count);
        for (let i = 0; i < count; i++) {
          const at = (start + i) * k;
          const stored = chunk.predicted[start + i]!;
          const predicted = argmax(probabilities, i * k, k);
          const tie = Math.abs(chunk.probabilities[at + predicted]! - chunk.probabilities[at + stored]!) <= TIE;
          if (predicted === stored || tie) total.samePredictions++;
          for (let c = 0; c < k; c++) {
            total.maxProbabilityDifference = Math.max(total.maxProbabilityDifference, Math.abs(probabilities[i * k + c]! - chunk.probabilities[at + c]!));
          }
        }
        total.images += count;
      }
    }
  }

  results(): FormatCheck[] {
    return this.totals.map((t) => ({ ...t }));
  }

  async dispose(): Promise<void> {
    for (const runner of this.runners) await runner.dispose();
  }
}

if (parentPort && (workerData as { kind?: string } | null)?.kind === 'export-check') {
  const port = parentPort;
  let check: Check | null = null;
  let queue = Promise.resolve();
  port.on('message', (message: CheckStart | CheckChunk | { type: 'finish' }) => {
    queue = queue.then(async () => {
      let reply: CheckReply;
      try {
        if (message.type === 'start') check = await Check.start(message);
        else if (!check) throw new Error('the export checker was not started');
        else if (message.type === 'chunk') await check.add(message);
        else await check.dispose();
        reply = { ok: true, checks: check!.results() };
      } catch (error) {
        reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      port.postMessage(reply);
    });
  });
}
