import { isVariantName, variantNames } from '../../../../ml/model/index.js';
import { labelIssueJobArgs, LOW_ACCURACY, type LabelIssueJobInput } from '../../../common/contract/labelling.js';
import { StudioError } from '../../../common/errors.js';
import { EventHub } from '../../events.js';
import { LabelIssueJobs } from '../../labelling/labelIssueJobs.js';
import { openWorkspaceDb } from '../../storage/db.js';
import { storedLabelIssues } from '../../storage/labelIssues.js';
import { UsageError, type Command } from '../command.js';
import { shown } from '../printable.js';

function wholeNumber(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name}: "${String(raw)}" is not a whole number of at least ${min}`);
  return n;
}

export const labelIssuesCommand: Command = {
  name: 'label-issues',
  summary: 'Find likely label errors across the whole dataset: K-fold out-of-sample predictions ranked by confident learning',
  usage: 'label-issues --workspace DIR [--folds K] [--model NAME] [--max-minutes M] [--epochs E] [--image-size S] [--limit N] [--resume JOB] [--json]',
  options: {
    folds: { type: 'string' },
    model: { type: 'string' },
    'max-minutes': { type: 'string' },
    epochs: { type: 'string' },
    'image-size': { type: 'string' },
    'batch-size': { type: 'string' },
    limit: { type: 'string' },
    resume: { type: 'string' },
    threads: { type: 'string' },
  },
  async run(ctx, values) {
    const folds = wholeNumber(values, 'folds', 2);
    const model = values.model === undefined ? undefined : String(values.model);
    if (model !== undefined && !isVariantName(model)) throw new UsageError(`--model: "${model}" is not a model variant (choose ${variantNames.join(', ')})`);
    const rawMinutes = values['max-minutes'];
    const maxMinutes = rawMinutes === undefined ? undefined : Number(rawMinutes);
    if (maxMinutes !== undefined && !(maxMinutes > 0)) throw new UsageError(`--max-minutes: "${String(rawMinutes)}" is not a positive number of minutes`);
    const input: LabelIssueJobInput = {
      ...(folds !== undefined ? { folds } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(maxMinutes !== undefined ? { maxMinutes } : {}),
      ...(values.epochs !== undefined ? { epochs: wholeNumber(values, 'epochs', 1) } : {}),
      ...(values['image-size'] !== undefined ? { imageSize: wholeNumber(values, 'image-size', 8) } : {}),
      ...(values['batch-size'] !== undefined ? { batchSize: wholeNumber(values, 'batch-size', 2) } : {}),
    };
    const parsed = labelIssueJobArgs.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`--${String(issue.path[0] ?? 'options')}: ${issue.message}`);
    }
    const limit = wholeNumber(values, 'limit', 1) ?? 100_000;
    const resume = wholeNumber(values, 'resume', 1);
    const threads = wholeNumber(values, 'threads', 1);

    const workspace = ctx.requireWorkspace();
    const db = openWorkspaceDb(workspace);
    const events = new EventHub();
    const jobs = new LabelIssueJobs(db, workspace, events, { ...(ctx.backend ? { backend: ctx.backend } : {}), ...(threads ? { threads } : {}) });
    events.subscribe((event, payload) => {
      if (event !== 'job.progress') return;
      const p = payload as { done: number; total: number | null; message: string };
      const line = `${p.message}${p.total ? ` (${p.done}/${p.total})` : ''}`;
      if (ctx.isTTY) ctx.stderr.write(`\r${line.slice(0, 120).padEnd(120)}`);
    });
    try {
      const started = Date.now();
      const job = resume !== undefined ? jobs.resume(resume) : jobs.start(parsed.data);
      ctx.interrupted.addEventListener('abort', () => {
        try {
          jobs.stop(job.id);
        } catch {
          // already finished
        }
      }, { once: true });
      const outcome = await jobs.waitFor(job.id);
      if (ctx.isTTY) ctx.stderr.write('\n');
      const done = jobs.summary(jobs.get(job.id));
      if (outcome.type === 'failed') throw new StudioError('internal', `Label-issue job ${job.id} failed: ${outcome.error}`);
      const issues = storedLabelIssues(db, job.id, limit).map((issue) => ({
        path: issue.sourcePath,
        given: done.classNames[issue.given]!,
        suggested: done.classNames[issue.suggested]!,
        score: +issue.score.toFixed(4),
      }));
      const lowAccuracy = done.accuracy !== null && done.accuracy < LOW_ACCURACY;
      const result = {
        job: job.id,
        status: done.status,
        folds: done.config.folds,
        epochs_per_fold: done.config.epochsPerFold,
        model: done.config.model,
        image_size: done.config.imageSize,
        plan: done.config.plan,
        images: done.images,
        out_of_sample_accuracy: done.accuracy,
        low_accuracy_warning: lowAccuracy,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        issues,
      };
      const human = done.status !== 'completed'
        ? `Job ${job.id} ${done.status} after ${done.foldsDone} of ${done.config.folds} folds; continue with --resume ${job.id}`
        : [
          `Job ${job.id}: ${issues.length} likely label issues among ${done.images} images; out-of-sample accuracy ${((done.accuracy ?? 0) * 100).toFixed(1)} %${lowAccuracy ? ' (low: many flagged labels may be right)' : ''}`,
          ...issues.slice(0, 50).map((i) => shown`${i.score.toFixed(3)}  ${i.path}: ${i.given} -> ${i.suggested}`),
        ].join('\n');
      ctx.print(result, human);
      return done.status === 'completed' ? 0 : 1;
    } finally {
      await jobs.close();
      db.close();
    }
  },
};
