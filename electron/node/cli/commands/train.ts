import { isVariantName, variantNames } from '../../../../ml/model/index.js';
import { runConfigSchema, type RunConfig, type RunConfigInput } from '../../../common/contract/runs.js';
import { StudioError } from '../../../common/errors.js';
import { defaultHorizontalFlip, resolveAugmentation } from '../../../common/recipe.js';
import { EventHub } from '../../events.js';
import { openWorkspaceDb, type Db } from '../../storage/db.js';
import { countImages } from '../../storage/images.js';
import { runEpochs, snapshotClasses, snapshotMedianShortSide } from '../../storage/runs.js';
import { RunManager } from '../../training/runManager.js';
import { UsageError, type Command } from '../command.js';
import { shown } from '../printable.js';

function numberOption(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: "${String(raw)}" is not a number`);
  return n;
}

/** The option that sets each field of the run configuration, to name it in messages. */
const optionOfField: Record<string, string> = {
  model: 'model',
  epochs: 'epochs',
  batchSize: 'batch-size',
  imageSize: 'image-size',
  learningRate: 'lr',
  weightDecay: 'weight-decay',
  optimizer: 'optimizer',
  schedule: 'schedule',
  seed: 'seed',
  maxMinutes: 'max-minutes',
  resizePolicy: 'resize',
  'augmentation.padding': 'padding',
  'augmentation.preset': 'augment',
  init: 'init',
  fusion: 'fusion',
  maskActivation: 'mask',
};

/** The run configuration the options describe; every mistake in them is a usage error naming the option. */
function runConfigFromOptions(values: Record<string, unknown>): RunConfig {
  if (values.model === undefined) throw new UsageError('--model NAME is required (e.g. lite-16, lite-32)');
  const model = String(values.model);
  if (!isVariantName(model)) throw new UsageError(`--model: "${model}" is not a model variant (choose ${variantNames.join(', ')})`);
  const number = (name: string) => numberOption(values, name);
  const input: RunConfigInput = {
    model,
    ...(values.epochs !== undefined ? { epochs: number('epochs') } : {}),
    ...(values['batch-size'] !== undefined ? { batchSize: number('batch-size') } : {}),
    ...(values['image-size'] !== undefined ? { imageSize: number('image-size') } : {}),
    ...(values.lr !== undefined ? { learningRate: number('lr') } : {}),
    ...(values['weight-decay'] !== undefined ? { weightDecay: number('weight-decay') } : {}),
    ...(values.optimizer !== undefined ? { optimizer: values.optimizer as 'sgd' } : {}),
    ...(values.schedule !== undefined ? { schedule: values.schedule as 'cosine' } : {}),
    ...(values.seed !== undefined ? { seed: number('seed') } : {}),
    ...(values['max-minutes'] !== undefined ? { maxMinutes: number('max-minutes') } : {}),
    ...(values.resize !== undefined ? { resizePolicy: values.resize as 'squash' } : {}),
    ...(values.init !== undefined ? { init: values.init as 'msra' } : {}),
    ...(values.fusion !== undefined ? { fusion: values.fusion as 'arl' } : {}),
    ...(values.mask !== undefined ? { maskActivation: values.mask as 'mixed' } : {}),
    augmentation: {
      // --padding alone asks for the CIFAR recipe; otherwise the run's images decide (recipe.ts defaultAugmentation).
      preset: (values.augment ?? (values.padding !== undefined ? 'cifar' : 'auto')) as 'auto',
      padding: number('padding') ?? 4,
      horizontalFlip: values['no-flip'] !== true && values.flip !== false,
    },
  };
  const parsed = runConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const option = optionOfField[field] ?? field;
  throw new UsageError(`--${option}: ${JSON.stringify(String(values[option] ?? ''))} is not accepted: ${issue.message}`);
}

/**
 * What the run manager would refuse after writing the run, checked before: a rejected `train` leaves
 * no run behind. The snapshot takes the images labelled 'ok' in a class, with their current split.
 */
function checkTrainable(db: Db, config: RunConfig): void {
  const classes = snapshotClasses(db);
  if (classes.length < 2) {
    throw new StudioError('conflict', `Training needs at least two classes with labelled images; this workspace has ${classes.length}`);
  }
  const train = classes.reduce((sum, c) => sum + countImages(db, { classId: c.id, split: 'train', state: 'ok' }), 0);
  if (train < config.batchSize) {
    throw new StudioError(
      'conflict',
      `--batch-size: the workspace has ${train} training images, fewer than one batch of ${config.batchSize}; lower --batch-size or label more images`,
      { field: 'batchSize' },
    );
  }
}

export const trainCommand: Command = {
  name: 'train',
  summary: "Train a model on the workspace's labelled images (a snapshot of labels and splits), or resume a run",
  usage:
    'train --workspace DIR --model NAME --epochs N [--batch-size B] [--image-size S] [--resize squash|centre-crop|letterbox] [--lr X] [--optimizer sgd|adam] [--schedule cosine|step|constant] [--flip|--no-flip] [--augment auto|cifar|photo] [--padding P] [--seed N] [--init pytorch|msra|zero-gamma] [--fusion arl|nal] [--mask mixed|channel|spatial] [--threads T] [--max-minutes M] [--name TEXT] [--resume RUN] [--json]',
  options: {
    model: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'image-size': { type: 'string' },
    resize: { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    optimizer: { type: 'string' },
    schedule: { type: 'string' },
    padding: { type: 'string' },
    augment: { type: 'string' },
    'no-flip': { type: 'boolean' },
    flip: { type: 'boolean' },
    seed: { type: 'string' },
    init: { type: 'string' },
    fusion: { type: 'string' },
    mask: { type: 'string' },
    threads: { type: 'string' },
    'max-minutes': { type: 'string' },
    name: { type: 'string' },
    resume: { type: 'string' },
  },
  async run(ctx, values) {
    // Options first, then the workspace, then what the run needs: nothing is written until all hold.
    const resume = values.resume === undefined ? undefined : Number(values.resume);
    if (resume !== undefined && (!Number.isInteger(resume) || resume <= 0)) throw new UsageError(`--resume: "${String(values.resume)}" is not a run id`);
    const config = resume === undefined ? runConfigFromOptions(values) : undefined;
    const threads = numberOption(values, 'threads');
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new UsageError(`--threads: "${String(values.threads)}" is not a positive whole number`);
    const workspace = ctx.requireWorkspace();
    const db = openWorkspaceDb(workspace);
    try {
      if (config) {
        checkTrainable(db, config);
        // Neither --flip nor --no-flip: mirror unless the classes are digits or characters.
        if (values.flip === undefined && values['no-flip'] === undefined) {
          const choice = defaultHorizontalFlip(snapshotClasses(db).map((c) => c.name));
          config.augmentation.horizontalFlip = choice.flip;
          if (!ctx.json) ctx.stderr.write(`horizontal flip ${choice.flip ? 'on' : 'off'}: ${choice.reason} (--flip / --no-flip to choose)\n`);
        }
        const augment = resolveAugmentation(config.augmentation, snapshotMedianShortSide(db));
        if (augment.reason && !ctx.json) ctx.stderr.write(`augmentation ${augment.augmentation.preset}: ${augment.reason} (--augment cifar|photo to choose)\n`);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    const events = new EventHub();
    const manager = new RunManager(db, workspace, events, { ...(ctx.backend ? { backend: ctx.backend } : {}), ...(threads ? { threads } : {}) });
    const started = Date.now();
    const emit = (line: object) => ctx.stdout.write(`${JSON.stringify(line)}\n`);
    let backendReason: string | null = null;
    events.subscribe((event, payload) => {
      if (event === 'run.status' && (payload as { detail?: string }).detail) {
        const { backend, detail } = payload as { backend: string; detail: string };
        // The first detail is why this backend; later ones are the batch check and the time budget's plan.
        backendReason ??= detail;
        if (!ctx.json) ctx.stderr.write(`training on ${backend}: ${detail}\n`);
      }
      if (ctx.json) {
        emit({ event, ...(payload as object) });
        return;
      }
      if (event === 'run.batch') {
        const p = payload as { epoch: number; epochs: number; batch: number; batchesPerEpoch: number; loss: number; accuracy: number; imagesPerSecond: number; etaSeconds: number };
        if (ctx.isTTY) {
          ctx.stderr.write(
            `\repoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batchesPerEpoch} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} ${p.imagesPerSecond.toFixed(0)} img/s eta ${Math.round(p.etaSeconds)} s   `,
          );
        }
      } else if (event === 'run.epoch') {
        const e = payload as { epoch: number; epochs: number; trainLoss: number; trainAccuracy: number; valAccuracy: number | null };
        ctx.stderr.write(
          `${ctx.isTTY ? '\n' : ''}epoch ${e.epoch}/${e.epochs}: train loss ${e.trainLoss.toFixed(3)}, train acc ${e.trainAccuracy.toFixed(3)}, val acc ${e.valAccuracy?.toFixed(3) ?? '-'}\n`,
        );
      }
    });

    let runId: number;
    try {
      if (resume !== undefined) {
        runId = resume;
        manager.resume(runId);
      } else {
        runId = manager.create(config!, typeof values.name === 'string' ? values.name : undefined).id;
      }
      const stop = () => {
        try {
          manager.stop(runId);
        } catch {
          // not started yet or already finished
        }
      };
      ctx.interrupted.addEventListener('abort', stop, { once: true });
      const outcome = await manager.waitFor(runId);
      const run = manager.summary(manager.get(runId));
      const epochs = runEpochs(db, runId);
      const result = {
        run: runId,
        status: run.status,
        backend: run.backend,
        backend_reason: backendReason,
        model: run.config.model,
        epochs: run.epochsDone,
        epochs_planned: run.config.epochs,
        batch_size: run.config.batchSize,
        resize: run.config.resizePolicy ?? 'squash',
        augmentation: run.config.augmentation.preset ?? null,
        train_img_s: outcome.type === 'finished' ? +outcome.trainImagesPerSecond.toFixed(1) : (epochs.at(-1)?.imagesPerSecond ?? null),
        val_accuracy: epochs.at(-1)?.valAccuracy ?? null,
        train_loss: epochs.at(-1)?.trainLoss ?? null,
        images: run.images,
        classes: run.classNames,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        error: outcome.type === 'failed' ? outcome.error : null,
      };
      ctx.print(
        result,
        `Run ${runId} ${run.status}: ${run.epochsDone}/${run.config.epochs} epochs on ${run.backend ?? '?'}, validation accuracy ${result.val_accuracy?.toFixed(4) ?? '-'}, ${result.train_img_s ?? '-'} img/s${result.error ? shown`\n${result.error}` : ''}`,
      );
      if (outcome.type === 'failed') throw new StudioError('internal', outcome.error);
      return outcome.type === 'interrupted' ? 1 : 0;
    } finally {
      await manager.close();
      db.close();
    }
  },
};
