import { runConfigSchema, type RunConfigInput } from '../../../common/contract/runs.js';
import { StudioError } from '../../../common/errors.js';
import { validationError } from '../../rpc/dispatch.js';
import { EventHub } from '../../events.js';
import { openWorkspaceDb } from '../../storage/db.js';
import { runEpochs } from '../../storage/runs.js';
import { RunManager } from '../../training/runManager.js';
import { UsageError, type Command } from '../command.js';

function intOption(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: "${String(raw)}" is not a number`);
  return n;
}

export const trainCommand: Command = {
  name: 'train',
  summary: "Train a model on the workspace's labelled images (a snapshot of labels and splits), or resume a run",
  usage:
    'train --workspace DIR --model NAME --epochs N [--batch-size B] [--image-size S] [--lr X] [--optimizer sgd|adam] [--schedule cosine|step|constant] [--no-flip] [--padding P] [--seed N] [--threads T] [--max-minutes M] [--name TEXT] [--resume RUN] [--json]',
  options: {
    model: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'image-size': { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    optimizer: { type: 'string' },
    schedule: { type: 'string' },
    padding: { type: 'string' },
    'no-flip': { type: 'boolean' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    'max-minutes': { type: 'string' },
    name: { type: 'string' },
    resume: { type: 'string' },
  },
  async run(ctx, values) {
    const workspace = ctx.requireWorkspace();
    const db = openWorkspaceDb(workspace);
    const events = new EventHub();
    const threads = intOption(values, 'threads');
    const manager = new RunManager(db, workspace, events, { ...(ctx.backend ? { backend: ctx.backend } : {}), ...(threads ? { threads } : {}) });
    const started = Date.now();
    const emit = (line: object) => ctx.stdout.write(`${JSON.stringify(line)}\n`);
    let backendReason: string | null = null;
    events.subscribe((event, payload) => {
      if (event === 'run.status' && (payload as { detail?: string }).detail) {
        const { backend, detail } = payload as { backend: string; detail: string };
        backendReason = detail;
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
      if (values.resume !== undefined) {
        runId = Number(values.resume);
        if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`--resume: "${String(values.resume)}" is not a run id`);
        manager.resume(runId);
      } else {
        if (values.model === undefined) throw new UsageError('--model NAME is required (e.g. lite-16, lite-32)');
        const input: RunConfigInput = {
          model: String(values.model),
          ...(values.epochs !== undefined ? { epochs: intOption(values, 'epochs') } : {}),
          ...(values['batch-size'] !== undefined ? { batchSize: intOption(values, 'batch-size') } : {}),
          ...(values['image-size'] !== undefined ? { imageSize: intOption(values, 'image-size') } : {}),
          ...(values.lr !== undefined ? { learningRate: intOption(values, 'lr') } : {}),
          ...(values['weight-decay'] !== undefined ? { weightDecay: intOption(values, 'weight-decay') } : {}),
          ...(values.optimizer !== undefined ? { optimizer: values.optimizer as 'sgd' } : {}),
          ...(values.schedule !== undefined ? { schedule: values.schedule as 'cosine' } : {}),
          ...(values.seed !== undefined ? { seed: intOption(values, 'seed') } : {}),
          ...(values['max-minutes'] !== undefined ? { maxMinutes: intOption(values, 'max-minutes') } : {}),
          augmentation: { padding: intOption(values, 'padding') ?? 4, horizontalFlip: values['no-flip'] !== true },
        };
        const parsed = runConfigSchema.safeParse(input);
        if (!parsed.success) throw validationError('train', parsed.error.issues);
        runId = manager.create(parsed.data, typeof values.name === 'string' ? values.name : undefined).id;
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
        `Run ${runId} ${run.status}: ${run.epochsDone}/${run.config.epochs} epochs on ${run.backend ?? '?'}, validation accuracy ${result.val_accuracy?.toFixed(4) ?? '-'}, ${result.train_img_s ?? '-'} img/s${result.error ? `\n${result.error}` : ''}`,
      );
      if (outcome.type === 'failed') throw new StudioError('internal', outcome.error);
      return outcome.type === 'interrupted' ? 1 : 0;
    } finally {
      await manager.close();
      db.close();
    }
  },
};
