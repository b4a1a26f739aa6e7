/**
 * Exports a run's model as a plain tfjs Layers folder (model.json + weights.bin, loadable with
 * `tf.loadLayersModel`), with labels.json and preprocessing.json describing what the model expects,
 * then proves the export: the folder is loaded back and must reproduce the run's stored validation
 * predictions.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { unfuseBatchNormRelu } from '../../../ml/layers/fuseBatchNormRelu.js';
import { fileSystemIO } from '../../../ml/model/io.js';
import { predictSource } from '../../../ml/train/evaluate.js';
import { StudioError } from '../../common/errors.js';
import type { Db } from '../storage/db.js';
import { hasPredictions, runImages, splitPredictions } from '../storage/runs.js';
import { evaluateRun, type RunModels } from './inferenceTasks.js';
import { RunDataSource } from './runSource.js';

export interface ExportReport {
  folder: string;
  files: string[];
  /** How the exported model compared with the stored predictions on the validation split. */
  verification: { split: 'val'; images: number; samePredictions: number; maxProbabilityDifference: number };
}

/** Probabilities may differ by float rounding between backends; classes must agree. */
const TOLERANCE = 1e-4;

export async function exportRunModel(db: Db, models: RunModels, runId: number, folder: string): Promise<ExportReport> {
  const loaded = await models.get(runId);
  const { run } = loaded;
  const preprocessing = {
    input: { height: run.config.imageSize, width: run.config.imageSize, channels: loaded.channels, layout: 'NHWC', dtype: 'float32' },
    resize: 'the whole image, squashed to height x width (no crop), bilinear',
    colour: loaded.channels === 1 ? 'grey (ITU-R BT.601 luma), alpha flattened onto white' : 'RGB, alpha flattened onto white',
    normalization: { formula: '(pixel - mean[c]) / std[c], pixel in 0..255', mean: loaded.normalization.mean, std: loaded.normalization.std },
    output: 'logits over labels.json order; apply softmax for probabilities',
    model: run.config.model,
    run: run.id,
  };
  // Stock layers where the run trained with fused BatchNorm+ReLU: the folder loads without project code
  // beyond the network's own layers.
  const plain = unfuseBatchNormRelu(loaded.model);
  try {
    await plain.save(fileSystemIO(folder));
  } finally {
    if (plain !== loaded.model) plain.dispose();
  }
  await writeFile(path.join(folder, 'labels.json'), JSON.stringify(run.classNames, null, 2));
  await writeFile(path.join(folder, 'preprocessing.json'), JSON.stringify(preprocessing, null, 2));

  if (!hasPredictions(db, runId, 'val')) await evaluateRun(db, models, runId, 'val');
  const stored = splitPredictions(db, runId, 'val');
  const images = runImages(db, runId, 'val');
  const exported = await tf.loadLayersModel(fileSystemIO(folder));
  try {
    const source = new RunDataSource(db, images, run.classNames.length, run.config.imageSize, loaded.channels);
    const fresh = await predictSource(exported, source, { normalization: loaded.normalization, batchSize: 128 });
    const k = run.classNames.length;
    const byId = new Map(stored.map((p) => [p.imageId, p]));
    let same = 0;
    let maxDiff = 0;
    fresh.ids.forEach((id, i) => {
      const before = byId.get(id);
      if (!before) return;
      if (before.predicted === fresh.predicted[i]) same++;
      for (let c = 0; c < k; c++) maxDiff = Math.max(maxDiff, Math.abs(before.probabilities[c]! - fresh.probabilities[i * k + c]!));
    });
    if (same !== stored.length || maxDiff > TOLERANCE) {
      throw new StudioError(
        'internal',
        `The exported model in ${folder} does not reproduce run ${runId}'s validation predictions (${same} of ${stored.length} agree, max probability difference ${maxDiff.toExponential(2)}); re-run evaluate and export again`,
      );
    }
    return {
      folder,
      files: ['model.json', 'weights.bin', 'labels.json', 'preprocessing.json'],
      verification: { split: 'val', images: stored.length, samePredictions: same, maxProbabilityDifference: maxDiff },
    };
  } finally {
    exported.dispose();
  }
}
