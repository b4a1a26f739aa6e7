/**
 * One training run, start to finish, as the training worker runs it: snapshot → data sources →
 * backend → model (fresh, or the last checkpoint) → Trainer, with a checkpoint, the epoch's metrics
 * and the attention-mask panel stored after every epoch. Reports through `post`; obeys `control`.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { initBackend, isBackendName, type BackendName } from '../../../ml/engine/backends.js';
import type { SpeedProbe } from '../../../ml/engine/measure.js';
import { AttentionInspector } from '../../../ml/inspect/masks.js';
import { fuseBatchNormRelu } from '../../../ml/layers/fuseBatchNormRelu.js';
import { applyInitialization, buildModel, isVariantName, type VariantName } from '../../../ml/model/index.js';
import { hasFusedBatchNormRelu } from '../../../ml/wasm/batchNormRelu.js';
import { BatchTooLargeError, deviceDescription, fittingBatch } from '../../../ml/train/batchFit.js';
import { disposeOptimizerState } from '../../../ml/train/checkpoint.js';
import { CheckpointStore } from '../../../ml/train/checkpointStore.js';
import { deriveSeed, streams, withSeededMathRandom } from '../../../ml/train/random.js';
import { epochSeconds, planEpochs, replanEpochs } from '../../../ml/train/budget.js';
import { Trainer, type EpochReport, type TrainingConfig } from '../../../ml/train/trainer.js';
import { measureTrainingSpeed } from '../../../ml/engine/measure.js';
import type { EpochMetrics, MaskFrame, RunConfig } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { resizePolicyOf } from '../../common/resizePolicy.js';
import { defaultWeightDecay } from '../../common/recipe.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { setRunBatchSize, setRunPlannedEpochs, getRunRow, insertMaskFrames, recordEpoch, runImages, snapshotHasColour, updateRun, type RunImage } from '../storage/runs.js';
import { chooseRunBackend } from './backendChoice.js';
import { ensureTrainingCache } from './cache.js';
import { checkpointRoot } from './paths.js';
import type { TrainControl, TrainMessage, TrainWorkerData } from './protocol.js';
import { RunDataSource } from './runSource.js';

/** Batch events are throttled to a few per second: enough for live curves, cheap to send. */
const BATCH_EVENT_INTERVAL_MS = 250;
/** Mid-epoch checkpoints: a crash or kill loses at most this much training. */
const DEFAULT_CHECKPOINT_SECONDS = 120;
/** Mask panel: up to this many validation images per class, and in all. */
const PANEL_PER_CLASS = 2;
const PANEL_MAX = 16;

export function trainingConfigOf(config: RunConfig): TrainingConfig {
  const weightDecay = config.weightDecay ?? defaultWeightDecay(config.model);
  return {
    epochs: config.epochs,
    batchSize: config.batchSize,
    optimizer:
      config.optimizer === 'adam'
        ? { kind: 'adam', weightDecay }
        : { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay },
    schedule:
      config.schedule === 'cosine'
        ? { kind: 'cosine', baseLearningRate: config.learningRate, warmup: { fraction: config.warmupFraction } }
        : config.schedule === 'step'
          ? // The paper's two drops by 10, scaled to the run (spec §4.1, §4.3: at 40 % and 60 %).
            { kind: 'step', baseLearningRate: config.learningRate, milestones: [{ fraction: 0.4 }, { fraction: 0.6 }], factor: 0.1 }
          : { kind: 'constant', baseLearningRate: config.learningRate },
    augmentation: {
      padding: config.augmentation.padding,
      horizontalFlip: config.augmentation.horizontalFlip,
      randomResizedCrop: config.augmentation.randomResizedCrop,
      colourJitter: config.augmentation.colourJitter,
    },
    seed: config.seed,
    dropLastBatch: true,
  };
}

/**
 * The fixed panel of validation images whose masks are sent each epoch: up to PANEL_PER_CLASS per
 * class (lowest image ids), interleaved class by class so a capped panel covers as many classes as it can.
 */
export function maskPanel(validation: readonly RunImage[]): RunImage[] {
  const byClass = new Map<number, RunImage[]>();
  for (const image of validation) {
    const list = byClass.get(image.classIndex) ?? [];
    if (list.length < PANEL_PER_CLASS) list.push(image);
    byClass.set(image.classIndex, list);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const panel: RunImage[] = [];
  for (let round = 0; round < PANEL_PER_CLASS; round++) {
    for (const c of classes) {
      const image = byClass.get(c)![round];
      if (image) panel.push(image);
    }
  }
  return panel.slice(0, PANEL_MAX);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export interface TrainControls {
  /** Registers the handler for control messages from the studio. */
  onControl(handler: (message: TrainControl) => void): void;
}

async function selectBackend(requested: string | undefined, run: SpeedProbe, threads: number | undefined, post: (message: TrainMessage) => void) {
  if (requested !== undefined && !isBackendName(requested)) {
    throw new StudioError('invalid_argument', `Unknown backend "${requested}"`, { field: 'backend' });
  }
  const choice = await chooseRunBackend({
    forced: requested as BackendName | undefined,
    run,
    ...(threads ? { threads } : {}),
    onMeasuring: (backend, done, total) => post({ type: 'measuring', backend, done, total }),
  });
  if (!choice.name) throw new StudioError('unavailable', `No tfjs backend can train here: ${choice.reason}`);
  return { name: choice.name, reason: choice.reason };
}

export async function runTraining(data: TrainWorkerData, post: (message: TrainMessage) => void, controls: TrainControls): Promise<void> {
  let db: Db | null = null;
  try {
    db = openWorkspaceDb(data.workspace);
    const run = getRunRow(db, data.runId);
    if (!run) throw new StudioError('not_found', `Run ${data.runId} does not exist in ${data.workspace}`);
    if (run.ownerId !== data.ownerId) throw new StudioError('conflict', `Run ${run.id} is held by another process: it is not trained here`);
    const { config } = run;
    if (!isVariantName(config.model)) throw new StudioError('invalid_argument', `Unknown model "${config.model}"`, { field: 'model' });
    const numClasses = run.classNames.length;
    const channels = config.channels ?? (snapshotHasColour(db, run.id) ? 3 : 1);
    const trainImages = runImages(db, run.id, 'train');
    const valImages = runImages(db, run.id, 'val');
    if (trainImages.length < config.batchSize) {
      throw new StudioError('conflict', `The run has ${trainImages.length} training images, fewer than one batch of ${config.batchSize}; label more images or lower the batch size`);
    }

    const policy = resizePolicyOf(config);
    await ensureTrainingCache(db, [...trainImages, ...valImages].map((i) => i.imageId), config.imageSize, policy, (done, total) =>
      post({ type: 'cache', done, total }),
    );
    const train = new RunDataSource(db, trainImages, numClasses, config.imageSize, channels, policy);
    const validation = valImages.length > 0 ? new RunDataSource(db, valImages, numClasses, config.imageSize, channels, policy) : undefined;

    const speedProbe = { model: config.model, imageSize: config.imageSize, channels, batchSize: config.batchSize, numClasses };
    // The studio's or the CLI's forced backend first, then the run's own choice.
    const requested = data.backend ?? (config.backend && config.backend !== 'auto' ? config.backend : undefined);
    const selected = await selectBackend(requested, speedProbe, data.threads, post);
    const backend = await initBackend(selected.name, {
      ...(data.threads ? { threads: data.threads } : {}),
      ...(data.wasmMemoryLimitBytes ? { memoryLimitBytes: data.wasmMemoryLimitBytes } : {}),
    });
    const held = updateRun(db, run.id, { status: 'running', backend: backend.name, startedAt: run.startedAt ?? Date.now(), finishedAt: null, error: null }, data.ownerId);
    if (!held) throw new StudioError('conflict', `Run ${run.id} was taken over by another process before training started`);
    post({ type: 'status', status: 'running', backend: backend.name, detail: `${selected.reason}; ${backend.detail}` });

    const store = new CheckpointStore(checkpointRoot(data.workspace, run.id));
    const latest = await store.loadLatest();
    // A time budget decides the number of epochs (a fresh run; a resumed one keeps its plan).
    const trainingConfig = latest?.snapshot.config ?? trainingConfigOf(config);
    if (!latest) {
      // Whether a batch fits is checked on a throw-away copy of the network before the first step,
      // so a run never fails minutes in for its batch size (the trainer's BatchTooLargeError stays as a backstop).
      const fit = await checkBatchFits(config, channels, numClasses, trainingConfig.batchSize);
      if (fit.batchSize !== trainingConfig.batchSize) {
        trainingConfig.batchSize = fit.batchSize;
        setRunBatchSize(db, run.id, fit.batchSize);
      }
      post({ type: 'status', status: 'running', backend: backend.name, detail: fit.detail });
    }
    const batchSize = trainingConfig.batchSize;
    const budgetSeconds = config.maxMinutes ? config.maxMinutes * 60 : null;
    if (budgetSeconds !== null && !latest) {
      const speed = await measureTrainingSpeed({ ...speedProbe, batchSize, model: config.model, seconds: 2, maxSteps: 4 });
      const perEpoch = epochSeconds({
        trainImages: Math.floor(trainImages.length / batchSize) * batchSize,
        validationImages: valImages.length,
        trainImagesPerSecond: speed.trainImagesPerSecond,
        inferImagesPerSecond: speed.inferImagesPerSecond,
      });
      const plan = planEpochs(budgetSeconds, perEpoch, config.epochs);
      trainingConfig.epochs = plan.epochs;
      setRunPlannedEpochs(db, run.id, plan.epochs);
      post({ type: 'status', status: 'running', backend: backend.name, detail: `time budget ${config.maxMinutes} min: ${plan.reason}` });
    }
    const model = latest?.model ?? initialRunModel(config.model, config, channels, numClasses);
    const panel = validation ? maskPanel(valImages) : [];
    const panelSource = new RunDataSource(db, panel, numClasses, config.imageSize, channels, policy);
    const inspector = new AttentionInspector(model);
    const runDb = db;

    const checkpointMetadata = { runId: run.id, model: config.model, classNames: run.classNames, imageSize: config.imageSize, channels };
    let lastBatchEvent = 0;
    let runStarted: number | null = null;
    let lastEpochEnd = 0;
    let imagesPerSecond = 0;
    const trainer: Trainer = new Trainer({
      model,
      train,
      ...(validation ? { validation } : {}),
      config: trainingConfig,
      ...(latest ? { resume: latest.snapshot } : {}),
      onBatch: (progress) => {
        imagesPerSecond = progress.imagesPerSecond;
        const now = performance.now();
        if (now - lastBatchEvent >= BATCH_EVENT_INTERVAL_MS || progress.batch === progress.batchesPerEpoch) {
          lastBatchEvent = now;
          post({ type: 'batch', ...progress });
        }
      },
      onCheckpointDue: async (current: Trainer) => {
        await store.save(current, checkpointMetadata);
      },
      checkpointIntervalSeconds: data.checkpointIntervalSeconds ?? DEFAULT_CHECKPOINT_SECONDS,
      onEpoch: async (report: EpochReport, current: Trainer) => {
        if (budgetSeconds !== null && runStarted !== null) {
          const elapsed = (performance.now() - runStarted) / 1000;
          const plan = replanEpochs({
            budgetSeconds, elapsedSeconds: elapsed, epochsDone: report.epoch, plannedEpochs: current.config.epochs,
            maxEpochs: config.epochs, lastEpochSeconds: (performance.now() - lastEpochEnd) / 1000,
          });
          if (plan && plan.epochs >= report.epoch) {
            current.retarget(plan.epochs);
            setRunPlannedEpochs(runDb, run.id, plan.epochs);
            post({ type: 'status', status: 'running', backend: backend.name, detail: `time budget ${config.maxMinutes} min: ${plan.reason}` });
          }
          lastEpochEnd = performance.now();
        }
        await store.save(current, checkpointMetadata);
        const metrics: EpochMetrics = {
          epoch: report.epoch,
          step: report.step,
          learningRate: report.learningRate,
          trainLoss: report.trainLoss,
          trainAccuracy: report.trainAccuracy,
          valLoss: report.validation?.loss ?? null,
          valAccuracy: report.validation?.accuracy ?? null,
          trainSeconds: report.trainSeconds,
          imagesPerSecond,
          confusion: report.validation?.confusionMatrix ?? null,
        };
        recordEpoch(runDb, run.id, metrics);
        post({ type: 'epoch', epochs: report.epochs, metrics });
        if (panel.length > 0) {
          const frames = await panelFrames(panelSource, panel, inspector, current, config);
          insertMaskFrames(
            runDb,
            run.id,
            report.epoch,
            frames.flatMap((f) => f.masks.map((m, module) => ({ imageId: f.imageId, module, height: m.height, width: m.width, data: Buffer.from(m.data, 'base64') }))),
          );
          post({ type: 'masks', epoch: report.epoch, frames });
        }
      },
    });
    if (latest) disposeOptimizerState(latest.snapshot.optimizer);

    controls.onControl((message) => {
      if (message.type === 'pause') {
        trainer.pause();
        updateRun(runDb, run.id, { status: 'paused' }, data.ownerId);
        post({ type: 'status', status: 'paused' });
      } else if (message.type === 'resume') {
        trainer.resume();
        updateRun(runDb, run.id, { status: 'running' }, data.ownerId);
        post({ type: 'status', status: 'running' });
      } else {
        trainer.stop();
      }
    });
    const deadline = config.maxMinutes ? setTimeout(() => trainer.stop(), config.maxMinutes * 60_000) : null;
    runStarted = performance.now();
    lastEpochEnd = runStarted;
    let outcome;
    try {
      outcome = await trainer.run();
      // Stopped part-way through an epoch: keep that progress for a resume.
      if (outcome.status === 'stopped' && outcome.position.batch > 0) await store.save(trainer, checkpointMetadata);
    } finally {
      if (deadline) clearTimeout(deadline);
      trainer.dispose();
    }
    updateRun(db, run.id, { status: outcome.status, finishedAt: Date.now() }, data.ownerId);
    post({ type: 'finished', status: outcome.status, epochsDone: outcome.position.epoch, trainImagesPerSecond: imagesPerSecond });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    try {
      if (db) updateRun(db, data.runId, { status: 'failed', error: message, finishedAt: Date.now() }, data.ownerId);
    } catch {
      // the database itself failed: the message below still reaches the studio
    }
    post({ type: 'failed', error: message });
  } finally {
    db?.close();
  }
}

async function panelFrames(source: RunDataSource, panel: RunImage[], inspector: AttentionInspector, trainer: Trainer, config: RunConfig): Promise<MaskFrame[]> {
  const frames: MaskFrame[] = [];
  const order = Int32Array.from(panel.keys());
  for await (const batch of source.batches(order, panel.length)) {
    const results = await inspector.inspect(batch.images, panel.length, source.imageShape, {
      normalization: trainer.normalization!,
      maskActivation: config.maskActivation,
    });
    results.forEach((result, i) => {
      frames.push({
        imageId: panel[i]!.imageId,
        label: panel[i]!.classIndex,
        masks: result.masks.map((m) => ({ module: m.module, width: m.width, height: m.height, data: base64(m.data) })),
      });
    });
  }
  return frames;
}

/**
 * The largest batch up to `wanted` whose forward and backward pass fits the backend's memory, with a
 * sentence for the run's status; throws BatchTooLargeError when not even one image fits.
 */
async function checkBatchFits(config: RunConfig, channels: 1 | 3, numClasses: number, wanted: number): Promise<{ batchSize: number; detail: string }> {
  const started = performance.now();
  const probe = initialRunModel(config.model as VariantName, config, channels, numClasses);
  let fits: number;
  try {
    fits = await fittingBatch(probe, wanted);
  } finally {
    probe.dispose();
  }
  const where = deviceDescription();
  if (fits === 0) throw new BatchTooLargeError(wanted, 0, where, 'checked before the first step');
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (fits === wanted) return { batchSize: wanted, detail: `a batch of ${wanted} fits in ${where} (checked in ${seconds} s)` };
  return {
    batchSize: fits,
    detail: `a batch of ${wanted} does not fit in ${where}; training with ${fits}, the largest that fits (lower the image size or choose a smaller model to keep ${wanted})`,
  };
}

/**
 * The run's network, newly initialised from its seed. Where the backend has the fused BatchNorm+ReLU kernels (wasm),
 * every BN+ReLU pair trains as one layer: the same function and weights, about half the activation
 * memory and less time per step. Exports are unfused again (exportModel.ts).
 */
export function initialRunModel(variant: VariantName, config: RunConfig, channels: 1 | 3, numClasses: number): LayersModel {
  // The run's seed fixes the initial weights too, so a run is reproducible on any backend.
  const built = withSeededMathRandom(deriveSeed(config.seed, streams.init), () => {
    const model = buildModel(variant, {
      inputShape: [config.imageSize, config.imageSize, channels], numClasses, fusion: config.fusion, maskActivation: config.maskActivation,
    });
    // Runs stored before the choice existed have no `init`: they used MSRA.
    applyInitialization(model, config.init ?? 'msra');
    return model;
  });
  if (!hasFusedBatchNormRelu()) return built;
  const fused = fuseBatchNormRelu(built);
  built.dispose();
  return fused;
}
