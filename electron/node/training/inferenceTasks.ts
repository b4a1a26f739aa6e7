/**
 * What the inference worker does on request: evaluate a run's checkpoint on a split (storing one
 * prediction per image), compute one image's attention masks, predict new files, and export the
 * model. Loaded checkpoints are cached per run and reloaded when a newer one appears.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readAll } from '../../../ml/engine/read.js';
import { buildInferenceModel } from '../../../ml/infer/inferenceModel.js';
import { perClassMetrics } from '../../../ml/analysis/confusion.js';
import { AttentionInspector } from '../../../ml/inspect/masks.js';
import { loadCheckpoint } from '../../../ml/train/checkpoint.js';
import { CheckpointStore } from '../../../ml/train/checkpointStore.js';
import { predictSource, summarizePredictions } from '../../../ml/train/evaluate.js';
import type { ChannelStats } from '../../../ml/train/normalization.js';
import { imagesToTensor } from '../../../ml/train/preprocess.js';
import '../../../ml/model/index.js';
import type { ImageMasks, RunEvaluation } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { defaultDecodeOptions, prepareImage } from '../import/decode.js';
import type { Db } from '../storage/db.js';
import { getRunRow, replacePredictions, runImages, type RunRow, type Split } from '../storage/runs.js';
import { statement } from '../storage/statements.js';
import { cachedPixels } from '../storage/trainingCache.js';
import { ensureTrainingCache } from './cache.js';
import { checkpointRoot } from './paths.js';
import { convertChannels } from './pixels.js';
import type { FilePrediction } from './protocol.js';
import { RunDataSource } from './runSource.js';

/** Masks for the inspector are returned at the image's size, but never larger than this on a side. */
const MAX_MASK_SIDE = 1024;

export interface LoadedRunModel {
  run: RunRow;
  checkpoint: string;
  /** The trained network as checkpointed (exports start from it). */
  model: tf.LayersModel;
  /** Its inference graph (batch norms folded): what predictions, evaluations and masks run on. */
  inference: tf.LayersModel;
  normalization: ChannelStats;
  channels: 1 | 3;
  inspector: AttentionInspector | null;
}

export class RunModels {
  private readonly cache = new Map<number, LoadedRunModel>();

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
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
    const entry: LoadedRunModel = {
      run,
      checkpoint: latest.path,
      model: loaded.model,
      inference: await buildInferenceModel(loaded.model),
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
  await ensureTrainingCache(db, images.map((i) => i.imageId), run.config.imageSize, onProgress);
  const source = new RunDataSource(db, images, run.classNames.length, run.config.imageSize, loaded.channels);
  const predictions = await predictSource(loaded.inference, source, { normalization: loaded.normalization, batchSize: 128 });
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

export async function imageMasks(db: Db, models: RunModels, runId: number, imageId: number): Promise<ImageMasks> {
  const loaded = await models.get(runId);
  const size = loaded.run.config.imageSize;
  const image = statement<[number], { width: number; height: number }>(db, 'SELECT width, height FROM images WHERE id = ?').get(imageId);
  if (!image) throw new StudioError('not_found', `Image ${imageId} does not exist`, { field: 'imageId' });
  await ensureTrainingCache(db, [imageId], size);
  const cached = cachedPixels(db, imageId, size)!;
  const pixels = new Uint8Array(size * size * loaded.channels);
  convertChannels(cached.data, cached.channels, loaded.channels, pixels);
  loaded.inspector ??= new AttentionInspector(loaded.inference);
  const [result] = await loaded.inspector.inspect(pixels, 1, [size, size, loaded.channels], {
    normalization: loaded.normalization,
    outputSize: fitWithin(image.width, image.height, MAX_MASK_SIDE),
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

export async function predictFiles(models: RunModels, runId: number, files: string[]): Promise<FilePrediction[]> {
  const loaded = await models.get(runId);
  const size = loaded.run.config.imageSize;
  const out: FilePrediction[] = [];
  for (const file of files) {
    try {
      const prepared = await prepareImage(await readFile(file), { ...defaultDecodeOptions, cacheSize: size });
      const pixels = new Uint8Array(size * size * loaded.channels);
      convertChannels(new Uint8Array(prepared.cache.data), prepared.cache.channels, loaded.channels, pixels);
      const [probabilities] = (await readAll([
        tf.tidy(() => {
          const logits = loaded.inference.predict(imagesToTensor(pixels, 1, [size, size, loaded.channels], loaded.normalization)) as tf.Tensor;
          return tf.softmax(logits);
        }),
      ])) as [Float32Array];
      let best = 0;
      for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
      out.push({
        file,
        predicted: loaded.run.classNames[best]!,
        confidence: probabilities[best]!,
        probabilities: Object.fromEntries(loaded.run.classNames.map((name, c) => [name, probabilities[c]!])),
        error: null,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      out.push({ file: path.resolve(file), predicted: null, confidence: null, probabilities: null, error: reason });
    }
  }
  return out;
}
