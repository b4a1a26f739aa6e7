/**
 * Exports a run's model to a folder that loads anywhere, and proves it before publishing it:
 *
 * Both models are the run's inference graph (ml/infer/inferenceModel.ts: batch norms folded into the
 * convolutions before them, the rest as 1x1 depthwise scale-shift-ReLUs), the network the studio itself
 * predicts with, so an exported model does no training-only work either.
 *
 *   model.json + weights.bin   TensorFlow.js Layers model of stock layers only (ml/export/standardLayers.ts)
 *   model.onnx                 ONNX opset 17, NCHW input (ml/export/onnx/)
 *   labels.json                class names in output order
 *   preprocessing.json         file → input, exactly as the studio does it (preprocessing.ts)
 *   README.md                  what each file is, how to run it, the check's figures
 *   prepare.mjs, predict-*.mjs the README's Node snippets as files: file → input, and a prediction per runtime
 *
 * The folder is written beside its destination and published by one rename only after the stock
 * runtimes, in a worker where the studio's layers were never registered, reproduce the run's stored
 * validation predictions from it (top-1 equal, probabilities within 1e-4). Those predictions are made
 * afresh from the checkpoint being exported first, so an evaluation older than the last epoch cannot
 * make a good export fail.
 */
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelToOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../../../ml/export/onnx/exportOnnx.js';
import { toStandardLayers } from '../../../ml/export/standardLayers.js';
import { publishDirectory, writeFileDurably as writeFile } from '../../../ml/train/atomicDir.js';
import type { ModelExportCheck, ModelExportFormat, ModelExportReport } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { resizePolicyOf } from '../../common/resizePolicy.js';
import { packageVersion } from '../paths.js';
import type { Db } from '../storage/db.js';
import { runImages, runSplitCounts, splitPredictions, type Split } from '../storage/runs.js';
import { evaluateRun, type LoadedRunModel, type RunModels } from '../training/inferenceTasks.js';
import { RunDataSource } from '../training/runSource.js';
import { ExportChecker, type ExportFormat } from './check.js';
import { PREPROCESSING_FORMAT, preprocessingDocument, type PreprocessingDocument } from './preprocessing.js';
import { exportReadme, snippetFiles, snippets } from './readme.js';

/** Probabilities may differ by float rounding between runtimes; classes must agree. */
export const EXPORT_TOLERANCE = 1e-4;

/** Every file an export may hold: an existing folder with only these (and preprocessing.json) is an earlier export. */
const EXPORT_FILES = ['model.json', 'weights.bin', 'model.onnx', 'labels.json', 'preprocessing.json', 'README.md', ...Object.keys(snippets)];

const CHECK_CHUNK = 512;

export type ExportProgress = (done: number, total: number) => void;

export function exportFormats(format: ModelExportFormat): ExportFormat[] {
  return format === 'both' ? ['tfjs', 'onnx'] : [format];
}

/** The folder may be new, empty, or an earlier export (replaced whole); anything else is refused. */
async function checkDestination(folder: string): Promise<void> {
  const info = await stat(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    const refusal = fileSystemRefusal(error);
    throw refusal ? new StudioError('io_error', `Could not write the export to ${folder}: ${refusal}`, { field: 'folder' }) : error;
  });
  if (!info) return;
  if (!info.isDirectory()) throw new StudioError('invalid_argument', `${folder} is a file; choose a folder for the export`, { field: 'folder' });
  const names = (await readdir(folder)).filter((name) => !name.startsWith('.'));
  if (names.length === 0) return;
  const earlier = await readFile(path.join(folder, 'preprocessing.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { format?: string }).format === PREPROCESSING_FORMAT,
    () => false,
  );
  if (!earlier || names.some((name) => !EXPORT_FILES.includes(name))) {
    throw new StudioError('conflict', `${folder} already holds other files; choose a new or empty folder (an earlier export there would be replaced)`, { field: 'folder' });
  }
}

/** The model's tfjs artifacts as model.json + weights.bin in `folder`. */
async function writeTfjs(model: tf.LayersModel, folder: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
    }),
  );
  const saved = artifacts as tf.io.ModelArtifacts | null;
  if (!saved?.modelTopology || saved.modelTopology instanceof ArrayBuffer) throw new Error('the model saved no JSON topology');
  const weights = saved.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(saved.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: saved.modelTopology,
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy,
    weightsManifest: [{ paths: ['./weights.bin'], weights: saved.weightSpecs ?? [] }],
  };
  await writeFile(path.join(folder, 'model.json'), JSON.stringify(modelJson));
  await writeFile(path.join(folder, 'weights.bin'), new Uint8Array(weights));
}

/**
 * Evaluates `split` on the run's newest checkpoint and returns that checkpoint's loaded model; if a
 * training run published a newer one meanwhile, it evaluates again (checkpoints only move forward).
 */
async function evaluateLatest(db: Db, models: RunModels, runId: number, split: Split, onProgress?: ExportProgress): Promise<LoadedRunModel> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await models.get(runId);
    await evaluateRun(db, models, runId, split, onProgress);
    const after = await models.get(runId);
    if (after.checkpoint === before.checkpoint) return after;
  }
  throw new StudioError('conflict', `Run ${runId} saved new checkpoints during three evaluations in a row; pause it, then export`);
}

async function checkFolder(db: Db, loaded: LoadedRunModel, folder: string, formats: ExportFormat[], split: Split, onProgress?: ExportProgress): Promise<ModelExportCheck[]> {
  const { run } = loaded;
  const k = run.classNames.length;
  const images = runImages(db, run.id, split);
  const stored = new Map(splitPredictions(db, run.id, split).map((p) => [p.imageId, p]));
  const source = new RunDataSource(db, images, k, run.config.imageSize, loaded.channels, resizePolicyOf(run.config));
  const order = Int32Array.from(images.keys());
  const checker = new ExportChecker({ folder, formats, classes: k });
  try {
    let done = 0;
    for await (const batch of source.batches(order, CHECK_CHUNK)) {
      const ids = Array.from(batch.ids ?? []);
      const count = ids.length;
      const predicted = new Int32Array(count);
      const probabilities = new Float32Array(count * k);
      ids.forEach((id, i) => {
        const prediction = stored.get(id);
        if (!prediction) throw new StudioError('internal', `Image ${id} of run ${run.id}'s ${split} split has no stored prediction`);
        predicted[i] = prediction.predicted;
        probabilities.set(prediction.probabilities, i * k);
      });
      await checker.check({ pixels: batch.images, count, predicted, probabilities });
      onProgress?.((done += count), images.length);
    }
    return await checker.finish();
  } finally {
    await checker.close();
  }
}

/** What a user can do about a file-system error, or null for anything else. */
function fileSystemRefusal(error: unknown): string | null {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; choose a folder you can write to';
    case 'EROFS':
      return 'the disk is read-only; choose another folder';
    case 'ENOSPC':
      return 'the disk is full; free some space or choose another disk';
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder';
    default:
      return null;
  }
}

function describeCheck(check: ModelExportCheck): string {
  return `${check.format === 'tfjs' ? 'model.json' : 'model.onnx'} in ${check.runtime}: ${check.samePredictions} of ${check.images} top-1 classes equal, probabilities within ${check.maxProbabilityDifference.toExponential(1)}`;
}

export async function exportRunModel(
  db: Db,
  models: RunModels,
  runId: number,
  destination: string,
  format: ModelExportFormat = 'both',
  onProgress?: ExportProgress,
): Promise<ModelExportReport> {
  const folder = path.resolve(destination);
  const formats = exportFormats(format);
  await models.get(runId);
  await checkDestination(folder);

  const counts = runSplitCounts(db, runId);
  const split = (['val', 'test', 'train'] as const).find((s) => counts[s] > 0);
  if (!split) throw new StudioError('conflict', `Run ${runId} has no images to check an export against`);
  const loaded = await evaluateLatest(db, models, runId, split, onProgress);
  const { run } = loaded;

  const preprocessing: PreprocessingDocument = preprocessingDocument({
    imageSize: run.config.imageSize,
    channels: loaded.channels,
    resizePolicy: resizePolicyOf(run.config),
    mean: loaded.normalization.mean,
    std: loaded.normalization.std,
    variant: run.config.model,
    runId,
    classes: run.classNames.length,
    onnxInput: ONNX_INPUT_NAME,
    onnxOutput: ONNX_OUTPUT_NAME,
    formats,
  });
  const files: string[] = [];
  let checks: ModelExportCheck[] = [];
  try {
    await publishDirectory(folder, async (temporary) => {
      // A folder to share or serve: readable by others as a file written here would be (not mkdtemp's 0700).
      await chmod(temporary, 0o755);
      if (formats.includes('tfjs')) {
        const standard = toStandardLayers(loaded.inference);
        try {
          await writeTfjs(standard, temporary);
        } finally {
          standard.dispose();
        }
        files.push('model.json', 'weights.bin');
      }
      if (formats.includes('onnx')) {
        const onnx = await modelToOnnx(loaded.inference, {
          producerVersion: packageVersion(),
          docString: `${run.config.model} from Attention Studio run ${runId}. Input ${ONNX_INPUT_NAME}: float32 NCHW [N, ${loaded.channels}, ${run.config.imageSize}, ${run.config.imageSize}], prepared as preprocessing.json says. Output ${ONNX_OUTPUT_NAME}: [N, ${run.classNames.length}] logits in labels.json order.`,
          metadata: { labels: JSON.stringify(run.classNames), preprocessing: JSON.stringify(preprocessing), variant: run.config.model, run: String(runId) },
        });
        await writeFile(path.join(temporary, 'model.onnx'), onnx);
        files.push('model.onnx');
      }
      await writeFile(path.join(temporary, 'labels.json'), JSON.stringify(run.classNames, null, 2) + '\n');
      await writeFile(path.join(temporary, 'preprocessing.json'), JSON.stringify(preprocessing, null, 2) + '\n');
      files.push('labels.json', 'preprocessing.json');

      checks = await checkFolder(db, loaded, temporary, formats, split, onProgress);
      const failed = checks.find((c) => c.samePredictions !== c.images || c.maxProbabilityDifference > EXPORT_TOLERANCE);
      if (failed) {
        throw new StudioError(
          'internal',
          `The exported ${failed.format === 'tfjs' ? 'TensorFlow.js' : 'ONNX'} model does not reproduce run ${runId}'s ${split} predictions in ${failed.runtime} ` +
            `(${failed.samePredictions} of ${failed.images} agree, max probability difference ${failed.maxProbabilityDifference.toExponential(2)}); nothing was written to ${folder}`,
        );
      }
      await writeFile(
        path.join(temporary, 'README.md'),
        exportReadme({ runId, runName: run.name, variant: run.config.model, classes: run.classNames, formats, preprocessing, checks: checks.map(describeCheck) }),
      );
      files.push('README.md');
      for (const name of snippetFiles(formats)) {
        await writeFile(path.join(temporary, name), snippets[name]);
        files.push(name);
      }
    });
  } catch (error) {
    if (error instanceof StudioError) throw error;
    const refusal = fileSystemRefusal(error);
    if (refusal) throw new StudioError('io_error', `Could not write the export to ${folder}: ${refusal}`, { field: 'folder' });
    throw new StudioError('internal', `Could not export run ${runId} to ${folder}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { runId, folder, files, split, checks };
}
