/**
 * What the inference worker does on request: evaluate a run's checkpoint on a split (storing one
 * prediction per image), compute one image's attention masks, predict new files, try images the
 * studio's Try view sends (batches of files or uploads, and one image's masks over its picture), and
 * export the model. Loaded checkpoints are cached per run and reloaded when a newer one appears.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { softmaxRows, type Classifier } from '../../../ml/infer/classifier.js';
import { buildInferenceModel } from '../../../ml/infer/inferenceModel.js';
import { chooseClassifier } from '../../../ml/infer/onnxClassifier.js';
import { perClassMetrics } from '../../../ml/analysis/confusion.js';
import { AttentionInspector } from '../../../ml/inspect/masks.js';
import { loadCheckpoint } from '../../../ml/train/checkpoint.js';
import { CheckpointStore } from '../../../ml/train/checkpointStore.js';
import { predictSource, summarizePredictions } from '../../../ml/train/evaluate.js';
import type { ChannelStats } from '../../../ml/train/normalization.js';
import '../../../ml/model/index.js';
import type { ImageMasks, RunEvaluation } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { modelViewRegion, resizePolicyOf, type ResizePolicy } from '../../common/resizePolicy.js';
import { MiB, readStoredFile, UnreadableFileError } from '../files/readStoredFile.js';
import { BadImageError, defaultDecodeOptions, prepareImage, type PreparedImage } from '../import/decode.js';
import { encodePreview } from '../import/preview.js';
import { fileSystemReason } from '../import/walk.js';
import type { Db } from '../storage/db.js';
import { getRunRow, replacePredictions, runImages, type RunRow, type Split } from '../storage/runs.js';
import { statement } from '../storage/statements.js';
import { cachedPixels } from '../storage/trainingCache.js';
import { ensureTrainingCache } from './cache.js';
import { checkpointRoot } from './paths.js';
import { convertChannels } from './pixels.js';
import type { FilePrediction, TriedImage, TriedMasks, TryInput } from './protocol.js';
import { RunDataSource } from './runSource.js';

/** Masks for the inspector are returned at the image's size, but never larger than this on a side. */
const MAX_MASK_SIDE = 1024;

export interface LoadedRunModel {
  run: RunRow;
  checkpoint: string;
  /** The trained network as checkpointed (exports start from it). */
  model: tf.LayersModel;
  /** Its inference graph (batch norms folded): what masks run on, and predictions where ONNX Runtime is not used. */
  inference: tf.LayersModel;
  /** What predictions and evaluations run on: the inference graph in tfjs, or in ONNX Runtime (onnxClassifier.ts). */
  classifier: Classifier;
  /** Why that engine, in words. */
  engineReason: string;
  normalization: ChannelStats;
  channels: 1 | 3;
  inspector: AttentionInspector | null;
}

export class RunModels {
  private readonly cache = new Map<number, LoadedRunModel>();

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
    private readonly engine: { backend: string; threads: number } = { backend: tf.getBackend(), threads: 1 },
  ) {}

  async get(runId: number): Promise<LoadedRunModel> {
    const run = getRunRow(this.db, runId);
    if (!run) throw new StudioError('not_found', `Run ${runId} does not exist`, { field: 'runId' });
    const latest = await new CheckpointStore(checkpointRoot(this.workspace, runId)).latest();
    if (!latest) throw new StudioError('conflict', `Run ${runId} has no checkpoint yet: it must finish at least one epoch first`, { field: 'runId' });
    const cached = this.cache.get(runId);
    if (cached && cached.checkpoint === latest.path) return cached;
    if (cached) this.evict(runId);
    const loaded = await loadCheckpoint(latest.path);
    loaded.snapshot.optimizer.slots.forEach((s) => s.tensor.dispose());
    const channels = (loaded.model.inputs[0]!.shape[3] ?? 3) as 1 | 3;
    const inference = await buildInferenceModel(loaded.model);
    const size = run.config.imageSize;
    const choice = await chooseClassifier(inference, [size, size, channels], loaded.snapshot.normalization, this.engine);
    const entry: LoadedRunModel = {
      run,
      checkpoint: latest.path,
      model: loaded.model,
      inference,
      classifier: choice.classifier,
      engineReason: choice.reason,
      normalization: loaded.snapshot.normalization,
      channels,
      inspector: null,
    };
    this.cache.set(runId, entry);
    return entry;
  }

  evict(runId: number): void {
    const cached = this.cache.get(runId);
    if (cached) {
      void cached.classifier.dispose();
      cached.model.dispose();
      cached.inference.dispose();
    }
    this.cache.delete(runId);
  }

  dispose(): void {
    for (const runId of [...this.cache.keys()]) this.evict(runId);
  }
}

export async function evaluateRun(db: Db, models: RunModels, runId: number, split: Split, onProgress?: (done: number, total: number) => void): Promise<RunEvaluation> {
  const loaded = await models.get(runId);
  const { run } = loaded;
  const images = runImages(db, runId, split);
  if (images.length === 0) throw new StudioError('conflict', `Run ${runId} has no ${split} images in its snapshot`, { field: 'split' });
  const policy = resizePolicyOf(run.config);
  await ensureTrainingCache(db, images.map((i) => i.imageId), run.config.imageSize, policy, onProgress);
  const source = new RunDataSource(db, images, run.classNames.length, run.config.imageSize, loaded.channels, policy);
  const predictions = await predictSource(loaded.classifier, source, { normalization: loaded.normalization, batchSize: 128 });
  const k = run.classNames.length;
  replacePredictions(
    db,
    runId,
    split,
    Array.from(predictions.labels, (label, i) => ({
      imageId: predictions.ids[i]!,
      label,
      predicted: predictions.predicted[i]!,
      confidence: predictions.probabilities[i * k + predictions.predicted[i]!]!,
      loss: predictions.losses[i]!,
      probabilities: predictions.probabilities.slice(i * k, (i + 1) * k),
    })),
  );
  const summary = summarizePredictions(predictions);
  return {
    runId,
    split,
    images: summary.count,
    accuracy: summary.accuracy,
    loss: summary.loss,
    classNames: run.classNames,
    perClass: perClassMetrics(summary.confusionMatrix).map((m, c) => ({ name: run.classNames[c]!, ...m })),
    confusionMatrix: summary.confusionMatrix,
  };
}

function fitWithin(width: number, height: number, max: number): [number, number] {
  const scale = Math.min(1, max / Math.max(width, height));
  return [Math.max(1, Math.round(height * scale)), Math.max(1, Math.round(width * scale))];
}

/** [height, width] of a mask drawn over the region of the photo the model saw (modelViewRegion), at most `max` a side. */
function maskSize(policy: ResizePolicy, width: number, height: number, max: number): [number, number] {
  const region = modelViewRegion(policy, width, height);
  return fitWithin(region.width, region.height, max);
}

export async function imageMasks(db: Db, models: RunModels, runId: number, imageId: number): Promise<ImageMasks> {
  const loaded = await models.get(runId);
  const size = loaded.run.config.imageSize;
  const image = statement<[number], { width: number; height: number }>(db, 'SELECT width, height FROM images WHERE id = ?').get(imageId);
  if (!image) throw new StudioError('not_found', `Image ${imageId} does not exist`, { field: 'imageId' });
  const policy = resizePolicyOf(loaded.run.config);
  await ensureTrainingCache(db, [imageId], size, policy);
  const cached = cachedPixels(db, imageId, size, policy)!;
  const pixels = new Uint8Array(size * size * loaded.channels);
  convertChannels(cached.data, cached.channels, loaded.channels, pixels);
  loaded.inspector ??= new AttentionInspector(loaded.inference);
  const [result] = await loaded.inspector.inspect(pixels, 1, [size, size, loaded.channels], {
    normalization: loaded.normalization,
    outputSize: maskSize(policy, image.width, image.height, MAX_MASK_SIDE),
    maskActivation: loaded.run.config.maskActivation,
  });
  return {
    runId,
    imageId,
    predicted: result!.predicted,
    probabilities: Array.from(result!.probabilities),
    masks: result!.masks.map((m) => ({ module: m.module, width: m.width, height: m.height, data: Buffer.from(m.data).toString('base64') })),
  };
}

/** Images per forward pass when predicting files. */
const PREDICT_BATCH = 64;
/** Files read and decoded at once: sharp decodes on libuv's threads while the network runs. */
const PREDICT_DECODE_CONCURRENCY = 8;

/** Probabilities for a batch of the run's input pixels, one row per image, on the inference graph. */
async function predictBatch(loaded: LoadedRunModel, batch: Uint8Array, count: number): Promise<Float32Array[]> {
  const k = loaded.run.classNames.length;
  const probs = softmaxRows(await loaded.classifier.logits(batch, count), k);
  return Array.from({ length: count }, (_, i) => probs.subarray(i * k, (i + 1) * k));
}

/**
 * Predicts files in batches, decoding the next batch while the network runs on this one (sharp works
 * on libuv's threads; the forward pass on this one). A file that cannot be read or decoded gets its
 * reason; the others are not held back by it.
 */
export async function predictFiles(models: RunModels, runId: number, files: string[]): Promise<FilePrediction[]> {
  const loaded = await models.get(runId);
  const size = loaded.run.config.imageSize;
  const perImage = size * size * loaded.channels;
  const decodeChunk = (chunk: string[]) =>
    mapLimited(chunk, PREDICT_DECODE_CONCURRENCY, async (file) => {
      try {
        const bytes = await readStoredFile(file, TRY_READ_LIMITS).catch((error: unknown) => {
          throw new BadImageError(tryReadReason(error));
        });
        const prepared = await prepareImage(bytes, { ...defaultDecodeOptions, cacheSize: size, resizePolicy: resizePolicyOf(loaded.run.config) });
        return { file, pixels: runPixels(loaded, prepared), error: null };
      } catch (error) {
        return { file: path.resolve(file), pixels: null, error: decodeReason(error) };
      }
    });
  const out: FilePrediction[] = [];
  let pending = decodeChunk(files.slice(0, PREDICT_BATCH));
  for (let start = 0; start < files.length; start += PREDICT_BATCH) {
    const decoded = await pending;
    const nextStart = start + PREDICT_BATCH;
    if (nextStart < files.length) pending = decodeChunk(files.slice(nextStart, nextStart + PREDICT_BATCH));
    const good = decoded.filter((d) => d.pixels !== null);
    const batch = new Uint8Array(good.length * perImage);
    good.forEach((d, i) => batch.set(d.pixels!, i * perImage));
    const probabilities = good.length > 0 ? await predictBatch(loaded, batch, good.length) : [];
    let next = 0;
    for (const d of decoded) {
      if (d.pixels === null) {
        out.push({ file: d.file, predicted: null, confidence: null, probabilities: null, error: d.error });
        continue;
      }
      const p = probabilities[next++]!;
      const best = argmax(p);
      out.push({
        file: d.file,
        predicted: loaded.run.classNames[best]!,
        confidence: p[best]!,
        probabilities: Object.fromEntries(loaded.run.classNames.map((name, c) => [name, p[c]!])),
        error: null,
      });
    }
  }
  return out;
}

/** Tried files are read like stored ones: regular files only, at most the import's size limit, with a deadline. */
const TRY_READ_LIMITS = { maxBytes: 512 * MiB, timeoutMs: 30_000 };
/** Files decoded at once: sharp decodes on libuv's threads, and more at once only holds more photos in memory. */
const TRY_DECODE_CONCURRENCY = 4;
/** Images per forward pass. */
const TRY_PREDICT_BATCH = 32;

function tryReadReason(error: unknown): string {
  if (error instanceof UnreadableFileError) return error.message;
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'does not exist (check the path)';
  return fileSystemReason(error);
}

async function tryBytes(input: TryInput): Promise<Buffer> {
  if ('bytes' in input) return Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  try {
    return await readStoredFile(input.path, TRY_READ_LIMITS);
  } catch (error) {
    throw new BadImageError(tryReadReason(error));
  }
}

function decodeReason(error: unknown): string {
  return error instanceof BadImageError ? error.message : `could not decode (${error instanceof Error ? error.message : String(error)})`;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c]! > values[best]!) best = c;
  return best;
}

/** The image decoded to the run's input: the training cache's square resize, in the model's channels. */
function runPixels(loaded: LoadedRunModel, prepared: PreparedImage): Uint8Array {
  const size = loaded.run.config.imageSize;
  const pixels = new Uint8Array(size * size * loaded.channels);
  convertChannels(new Uint8Array(prepared.cache.data), prepared.cache.channels, loaded.channels, pixels);
  return pixels;
}

/**
 * Predicts a batch of tried images: each is read and decoded (a few at once), then all that decoded go
 * through the network in batches. One that cannot be read or decoded gets its reason instead.
 */
export async function tryImages(models: RunModels, runId: number, inputs: TryInput[]): Promise<TriedImage[]> {
  const loaded = await models.get(runId);
  const size = loaded.run.config.imageSize;
  const perImage = size * size * loaded.channels;
  const decoded = await mapLimited(inputs, TRY_DECODE_CONCURRENCY, async (input) => {
    const where = { name: input.name, path: 'path' in input ? path.resolve(input.path) : null };
    try {
      const bytes = await tryBytes(input);
      const prepared = await prepareImage(bytes, { ...defaultDecodeOptions, cacheSize: size, resizePolicy: resizePolicyOf(loaded.run.config) });
      return { ok: true as const, where, prepared, pixels: runPixels(loaded, prepared), contentHash: createHash('sha256').update(bytes).digest('hex') };
    } catch (error) {
      return { ok: false as const, where, error: decodeReason(error) };
    }
  });
  const good = decoded.filter((d) => d.ok);
  const probabilities: Float32Array[] = [];
  for (let start = 0; start < good.length; start += TRY_PREDICT_BATCH) {
    const chunk = good.slice(start, start + TRY_PREDICT_BATCH);
    const batch = new Uint8Array(chunk.length * perImage);
    chunk.forEach((d, i) => batch.set(d.pixels, i * perImage));
    probabilities.push(...(await predictBatch(loaded, batch, chunk.length)));
  }
  let next = 0;
  return decoded.map((d): TriedImage => {
    if (!d.ok) return { ok: false, ...d.where, error: d.error };
    const p = probabilities[next++]!;
    const { prepared } = d;
    return {
      ok: true,
      ...d.where,
      width: prepared.width,
      height: prepared.height,
      format: prepared.format,
      thumbnail: { mime: prepared.thumbnail.mime, width: prepared.thumbnail.width, height: prepared.thumbnail.height, base64: prepared.thumbnail.data.toString('base64') },
      probabilities: Array.from(p),
      predicted: argmax(p),
      contentHash: d.contentHash,
    };
  });
}

/** One tried image as a picture at most `maxSide` on a side, with each attention module's mask at that size. */
export async function tryMasks(models: RunModels, runId: number, input: TryInput, maxSide: number): Promise<TriedMasks> {
  const loaded = await models.get(runId);
  const size = loaded.run.config.imageSize;
  let prepared: PreparedImage;
  let preview: Awaited<ReturnType<typeof encodePreview>>;
  try {
    const bytes = await tryBytes(input);
    prepared = await prepareImage(bytes, { ...defaultDecodeOptions, cacheSize: size, resizePolicy: resizePolicyOf(loaded.run.config) });
    preview = await encodePreview(bytes, maxSide);
  } catch (error) {
    throw new StudioError('invalid_argument', `${input.name}: ${decodeReason(error)}`, { field: 'image' });
  }
  loaded.inspector ??= new AttentionInspector(loaded.inference);
  const [result] = await loaded.inspector.inspect(runPixels(loaded, prepared), 1, [size, size, loaded.channels], {
    normalization: loaded.normalization,
    outputSize: maskSize(resizePolicyOf(loaded.run.config), preview.width, preview.height, Math.max(preview.width, preview.height)),
    maskActivation: loaded.run.config.maskActivation,
  });
  return {
    predicted: result!.predicted,
    probabilities: Array.from(result!.probabilities),
    preview,
    masks: result!.masks.map((m) => ({ module: m.module, width: m.width, height: m.height, data: Buffer.from(m.data).toString('base64') })),
  };
}
