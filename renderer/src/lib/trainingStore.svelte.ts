/**
 * The Training view's form: the model variants (with parameter counts for this workspace's classes and
 * the speed last measured for each), the hyper-parameters, and starting a run from them.
 */
import type { ClassCounts, ModelInfo, RunConfigInput, RunSummary, SpeedEstimate } from '../../../electron/common/contract/index.js';
import { defaultHorizontalFlip, defaultWeightDecay } from '../../../electron/common/recipe.js';
import { call, on } from './api.js';
import { epochsWithinBudget, estimateFromSteps, estimateTraining } from './estimate.js';
import { errorMessage } from './format.js';

export interface TrainForm {
  name: string;
  model: string;
  imageSize: number;
  resizePolicy: 'squash' | 'centre-crop' | 'letterbox';
  epochs: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  /** null: the optimiser's default (0.1 for SGD, 0.001 for AdamW). */
  learningRate: number | null;
  /** Minutes of training; the epochs that fit are trained, with the schedule over them. null: none. */
  maxMinutes: number | null;
  schedule: 'cosine' | 'step' | 'constant';
  warmupFraction: number;
  augmentPreset: 'auto' | 'cifar' | 'photo';
  padding: number;
  /** null: the default for the classes (off for digits and characters). */
  horizontalFlip: boolean | null;
  /** null: the model's default (1e-4 paper-size, 5e-4 lite). */
  weightDecay: number | null;
  fusion: 'arl' | 'nal';
  maskActivation: 'mixed' | 'channel' | 'spatial';
  init: 'msra' | 'pytorch' | 'zero-gamma';
  backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
}

export const defaultForm: TrainForm = {
  name: '',
  model: 'lite-32',
  imageSize: 32,
  resizePolicy: 'squash',
  epochs: 10,
  batchSize: 64,
  optimizer: 'sgd',
  learningRate: null,
  maxMinutes: null,
  schedule: 'cosine',
  warmupFraction: 0.1,
  augmentPreset: 'auto',
  padding: 4,
  horizontalFlip: null,
  weightDecay: null,
  fusion: 'arl',
  maskActivation: 'mixed',
  init: 'pytorch',
  backend: 'auto',
};

class TrainingStore {
  form = $state<TrainForm>({ ...defaultForm });
  models = $state.raw<ModelInfo[]>([]);
  counts = $state.raw<ClassCounts | null>(null);
  error = $state<string | null>(null);
  starting = $state(false);

  /** Classes a run would train on: those with usable images. */
  readonly classesInUse = $derived(this.counts?.classes.filter((c) => c.total - c.unsure - c.excluded > 0) ?? []);
  readonly trainImages = $derived(this.classesInUse.reduce((sum, c) => sum + c.train, 0));
  readonly valImages = $derived(this.classesInUse.reduce((sum, c) => sum + c.val, 0));
  readonly selectedModel = $derived(this.models.find((m) => m.name === this.form.model) ?? null);
  /** The flip a run would use, and why when it is the default. */
  readonly flipDefault = $derived(defaultHorizontalFlip(this.classesInUse.map((c) => c.name)));
  readonly horizontalFlip = $derived(this.form.horizontalFlip ?? this.flipDefault.flip);
  readonly weightDecay = $derived(this.form.weightDecay ?? defaultWeightDecay(this.form.model));
  readonly learningRate = $derived(this.form.learningRate ?? (this.form.optimizer === 'adam' ? 0.001 : 0.1));
  /** A few timed steps of this model, size and batch (when no run of the model has been measured). */
  speed = $state.raw<SpeedEstimate | null>(null);
  estimating = $state(false);
  private speedKey = '';
  readonly estimate = $derived(
    estimateTraining(this.selectedModel?.measured ?? null, {
      imageSize: this.form.imageSize,
      epochs: this.form.epochs,
      trainImages: this.trainImages,
      valImages: this.valImages,
    }) ??
      estimateFromSteps(this.speed, { epochs: this.form.epochs, trainImages: this.trainImages, valImages: this.valImages, batchSize: this.form.batchSize }),
  );
  /** With a time budget: the epochs that will be trained. */
  readonly budgetEpochs = $derived(
    this.estimate && this.form.maxMinutes ? epochsWithinBudget(this.estimate, this.form.epochs, this.form.maxMinutes) : null,
  );

  constructor() {
    on('dataset.changed', () => void this.load());
    on('workspace.changed', () => void this.load());
    // A finished epoch is a new measured speed.
    on('run.status', () => void this.loadModels());
  }

  async load(): Promise<void> {
    try {
      this.counts = await call('classCounts', {});
      await this.loadModels();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  /**
   * Measures (or looks up) the speed of the form's model, size and batch when no run of the model has
   * been measured; answers for settings the form has since left are dropped.
   */
  async refreshSpeed(): Promise<void> {
    const { model, imageSize, batchSize } = this.form;
    const key = `${model} ${imageSize} ${batchSize}`;
    if (this.selectedModel?.measured || key === this.speedKey || !(imageSize >= 8 && batchSize >= 1)) return;
    this.speedKey = key;
    this.speed = null;
    this.estimating = true;
    try {
      const speed = await call('estimateSpeed', { model, imageSize, batchSize, numClasses: Math.max(2, this.classesInUse.length) });
      if (this.speedKey === key) this.speed = speed;
    } catch {
      // No estimate: the form says it will be measured in the first epoch.
    } finally {
      if (this.speedKey === key) this.estimating = false;
    }
  }

  async loadModels(): Promise<void> {
    try {
      this.models = await call('listModels', { numClasses: Math.max(2, this.classesInUse.length), imageSize: this.form.imageSize });
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  config(): RunConfigInput {
    const f = this.form;
    return {
      model: f.model,
      imageSize: f.imageSize,
      resizePolicy: f.resizePolicy,
      epochs: f.epochs,
      batchSize: f.batchSize,
      optimizer: f.optimizer,
      learningRate: this.learningRate,
      weightDecay: this.weightDecay,
      schedule: f.schedule,
      warmupFraction: f.warmupFraction,
      augmentation: { preset: f.augmentPreset, padding: f.padding, horizontalFlip: this.horizontalFlip },
      fusion: f.fusion,
      maskActivation: f.maskActivation,
      init: f.init,
      backend: f.backend,
      ...(f.maxMinutes ? { maxMinutes: f.maxMinutes } : {}),
    };
  }

  /** Creates and queues the run; null (with `error` set) when the studio refused it. */
  async start(): Promise<RunSummary | null> {
    this.starting = true;
    this.error = null;
    try {
      const name = this.form.name.trim();
      return await call('createRun', { ...(name ? { name } : {}), config: this.config() });
    } catch (error) {
      this.error = errorMessage(error);
      return null;
    } finally {
      this.starting = false;
    }
  }
}

export const trainingStore = new TrainingStore();
