/**
 * The inference graph exported to ONNX (the exporter of ml/export/onnx) and run by ONNX Runtime for
 * Node on the CPU: the maintained native runtime, with the CPU's own vector instructions (AVX2 and FMA
 * on x86-64), where tfjs's `wasm` backend has 128-bit WebAssembly SIMD. `chooseClassifier` uses it only
 * where it gives the tfjs graph's predictions and is the faster of the two here.
 */
import type * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { modelToOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../export/onnx/exportOnnx.js';
import type { ImageShape } from '../train/dataSource.js';
import type { ChannelStats } from '../train/normalization.js';
import { compareClassifiers, TfjsClassifier, type Agreement, type Classifier } from './classifier.js';

export class OnnxClassifier implements Classifier {
  readonly engine: string;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly shape: ImageShape,
    private readonly normalization: ChannelStats,
    readonly numClasses: number,
    threads: number,
  ) {
    this.engine = `ONNX Runtime ${ort.env.versions.common} (CPU, ${threads} thread${threads === 1 ? '' : 's'})`;
  }

  /** From a tfjs inference graph (ml/infer/inferenceModel.ts), which is left as it is. */
  static async create(model: tf.LayersModel, shape: ImageShape, normalization: ChannelStats, threads: number): Promise<OnnxClassifier> {
    const bytes = await modelToOnnx(model);
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    return new OnnxClassifier(session, shape, normalization, (model.outputs[0]!.shape[1] ?? 0) as number, threads);
  }

  /** uint8 HWC → normalised float32 CHW, in one pass: x = (p/255 − mean[c]) / std[c]. */
  private input(images: Uint8Array, count: number): Float32Array {
    const [height, width, channels] = this.shape;
    const plane = height * width;
    const scale = this.normalization.std.map((s) => 1 / (255 * s));
    const offset = this.normalization.mean.map((m, c) => -m / this.normalization.std[c]!);
    const out = new Float32Array(count * channels * plane);
    for (let n = 0; n < count; n++) {
      const src = n * plane * channels;
      const dst = n * plane * channels;
      for (let c = 0; c < channels; c++) {
        const s = scale[c]!;
        const o = offset[c]!;
        const base = dst + c * plane;
        for (let p = 0; p < plane; p++) out[base + p] = images[src + p * channels + c]! * s + o;
      }
    }
    return out;
  }

  async logits(images: Uint8Array, count: number): Promise<Float32Array> {
    const [height, width, channels] = this.shape;
    const input = new ort.Tensor('float32', this.input(images, count), [count, channels, height, width]);
    const outputs = await this.session.run({ [ONNX_INPUT_NAME]: input });
    const logits = outputs[ONNX_OUTPUT_NAME]!;
    const values = Float32Array.from(logits.data as Float32Array);
    for (const tensor of Object.values(outputs)) tensor.dispose();
    input.dispose();
    return values;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export interface ClassifierChoice {
  classifier: Classifier;
  /** Why this engine, in words (agreement and speeds, or why ONNX Runtime was not used). */
  reason: string;
  agreement: Agreement | null;
}

/** Probabilities must agree this closely (and every top-1) for ONNX Runtime to stand in for tfjs. */
export const AGREEMENT_TOLERANCE = 1e-4;

/** Deterministic, varied test images: a fixed linear-congruential stream of bytes. */
function probeImages(count: number, shape: ImageShape): Uint8Array {
  const out = new Uint8Array(count * shape[0] * shape[1] * shape[2]);
  let state = 12345;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

async function imagesPerSecond(classifier: Classifier, images: Uint8Array, count: number): Promise<number> {
  const start = performance.now();
  await classifier.logits(images, count);
  return count / ((performance.now() - start) / 1000);
}

/**
 * The classifier predictions use: ONNX Runtime where `backend` is a CPU one (wasm, cpu), it loads, it
 * agrees with the tfjs graph on a batch of test images (every top-1 equal, probabilities within 1e-4)
 * and runs that batch faster; otherwise the tfjs graph. `ATTENTION_STUDIO_INFERENCE=tfjs` (or
 * `onnxruntime`) forces one, the latter still only where it agrees.
 */
export async function chooseClassifier(
  model: tf.LayersModel,
  shape: ImageShape,
  normalization: ChannelStats,
  options: { backend: string; threads: number; prefer?: string | undefined },
): Promise<ClassifierChoice> {
  const tfjs = new TfjsClassifier(model, shape, normalization);
  const prefer = options.prefer ?? process.env.ATTENTION_STUDIO_INFERENCE;
  if (prefer === 'tfjs') return { classifier: tfjs, reason: 'tfjs, as ATTENTION_STUDIO_INFERENCE asks', agreement: null };
  if (prefer !== 'onnxruntime' && options.backend !== 'wasm' && options.backend !== 'cpu') {
    return { classifier: tfjs, reason: `tfjs on ${options.backend} (a GPU or native backend)`, agreement: null };
  }
  let onnx: OnnxClassifier;
  try {
    onnx = await OnnxClassifier.create(model, shape, normalization, options.threads);
  } catch (error) {
    return { classifier: tfjs, reason: `tfjs: ONNX Runtime could not load the model (${error instanceof Error ? error.message : String(error)})`, agreement: null };
  }
  const count = 32;
  const images = probeImages(count, shape);
  const agreement = await compareClassifiers(tfjs, onnx, images, count);
  if (agreement.sameTop1 !== count || agreement.maxProbabilityDifference > AGREEMENT_TOLERANCE) {
    await onnx.dispose();
    return {
      classifier: tfjs,
      reason: `tfjs: ONNX Runtime disagreed on test images (${agreement.sameTop1}/${count} top-1 equal, probabilities within ${agreement.maxProbabilityDifference.toExponential(1)})`,
      agreement,
    };
  }
  // Both are warm now (the comparison ran each once): one timed batch each.
  const tfjsSpeed = await imagesPerSecond(tfjs, images, count);
  const onnxSpeed = await imagesPerSecond(onnx, images, count);
  const speeds = `${onnxSpeed.toFixed(0)} against ${tfjsSpeed.toFixed(0)} img/s`;
  if (prefer !== 'onnxruntime' && onnxSpeed <= tfjsSpeed) {
    await onnx.dispose();
    return { classifier: tfjs, reason: `tfjs ${options.backend}: ONNX Runtime was not faster here (${speeds})`, agreement };
  }
  return {
    classifier: onnx,
    reason: `${onnx.engine}: agrees with the tfjs graph (probabilities within ${agreement.maxProbabilityDifference.toExponential(1)}) and runs ${speeds}`,
    agreement,
  };
}
