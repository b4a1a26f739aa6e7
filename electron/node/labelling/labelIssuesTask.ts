/**
 * One "Find label issues" job, as its worker runs it: for every fold not yet predicted, a fresh model
 * is trained on the other folds' images and predicts this fold's (out of sample); each fold's
 * probabilities are stored as soon as they exist, so a stop or a crash loses at most the fold in
 * progress. When every fold is in, confident learning ranks the issues and the job completes.
 */
import { chooseBackend, initBackend, isBackendName, probeBackends, type BackendName } from '../../../ml/engine/backends.js';
import { confidentLearning } from '../../../ml/analysis/confidentLearning.js';
import { planFolds, stratifiedFolds } from '../../../ml/analysis/folds.js';
import { measureTrainingSpeed } from '../../../ml/engine/measure.js';
import type { VariantName } from '../../../ml/model/index.js';
import type { LabelIssueJobConfig } from '../../common/contract/labelling.js';
import { buildInferenceModel } from '../../../ml/infer/inferenceModel.js';
import { isVariantName } from '../../../ml/model/index.js';
import { predictSource } from '../../../ml/train/evaluate.js';
import { Trainer } from '../../../ml/train/trainer.js';
import { runConfigSchema } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import {
  finishedFolds, getLabelIssueJob, jobImages, outOfSampleProbabilities, storeFoldProbabilities, storeLabelIssues, updateLabelIssueJob,
} from '../storage/labelIssues.js';
import { statement } from '../storage/statements.js';
import { ensureTrainingCache } from '../training/cache.js';
import type { LabelIssuesMessage, LabelIssuesWorkerData } from '../training/protocol.js';
import { RunDataSource } from '../training/runSource.js';
import { initialRunModel, trainingConfigOf } from '../training/trainTask.js';

/** Progress is written to the job row (and sent) at most this often. */
const PROGRESS_INTERVAL_MS = 1000;

function anyColour(db: Db, imageIds: readonly number[]): boolean {
  return (statement<[string], { n: number }>(db, 'SELECT count(*) AS n FROM images WHERE channels >= 3 AND id IN (SELECT value FROM json_each(?))').get(JSON.stringify(imageIds))?.n ?? 0) > 0;
}

/**
 * Fixes K (when not asked for) and the epochs per fold from a time budget: a few timed steps of the
 * model on this backend give the speed, planFolds the rest. The folds are dealt after.
 */
async function planJob(db: Db, jobId: number, config: LabelIssueJobConfig, labels: number[], k: number, channels: 1 | 3): Promise<void> {
  const speed = await measureTrainingSpeed({ model: config.model as VariantName, imageSize: config.imageSize, channels, batchSize: config.batchSize, numClasses: k, seconds: 2, maxSteps: 4 });
  const plan = planFolds({
    images: labels.length,
    trainImagesPerSecond: speed.trainImagesPerSecond,
    inferImagesPerSecond: speed.inferImagesPerSecond,
    budgetSeconds: config.maxMinutes === null ? null : config.maxMinutes * 60,
    maxEpochs: config.epochsPerFold,
    ...(config.folds > 0 ? { requestedFolds: config.folds } : {}),
  });
  config.folds = plan.folds;
  config.epochsPerFold = plan.epochsPerFold;
  config.plan = plan.reason;
  const folds = stratifiedFolds(labels, plan.folds, config.seed);
  const images = jobImages(db, jobId);
  db.transaction(() => {
    const update = statement(db, 'UPDATE label_issue_images SET fold = ? WHERE job_id = ? AND image_id = ?');
    images.forEach((image, i) => update.run(folds[i]!, jobId, image.imageId));
    updateLabelIssueJob(db, jobId, { config, etaSeconds: plan.estimatedSeconds, detail: plan.reason });
  })();
}

export async function runLabelIssuesJob(data: LabelIssuesWorkerData, post: (message: LabelIssuesMessage) => void, shouldStop: () => boolean): Promise<void> {
  let db: Db | null = null;
  try {
    db = openWorkspaceDb(data.workspace);
    const job = getLabelIssueJob(db, data.jobId);
    if (!job) throw new StudioError('not_found', `Label-issue job ${data.jobId} does not exist`, { field: 'jobId' });
    const config = { ...job.config };
    if (!isVariantName(config.model)) throw new StudioError('invalid_argument', `model: "${config.model}" is not a model variant`, { field: 'model' });
    updateLabelIssueJob(db, job.id, { status: 'running', startedAt: job.startedAt ?? Date.now(), heartbeatAt: Date.now(), error: null, finishedAt: null });

    const images = jobImages(db, job.id);
    const ids = images.map((i) => i.imageId);
    const k = job.classNames.length;
    const channels: 1 | 3 = anyColour(db, ids) ? 3 : 1;
    await ensureTrainingCache(db, ids, config.imageSize, 'squash', (done, total) =>
      post({ type: 'progress', fold: job.foldsDone, folds: config.folds, done, total, etaSeconds: null, message: 'Decoding images at the job input size' }),
    );
    const requested = data.backend && isBackendName(data.backend) ? (data.backend as BackendName) : chooseBackend(await probeBackends()).name;
    if (!requested) throw new StudioError('unavailable', 'No tfjs backend can train here');
    await initBackend(requested, data.threads ? { threads: data.threads } : {});

    if (job.foldsDone === 0 && finishedFolds(db, job.id).size === 0 && (config.folds === 0 || config.maxMinutes !== null)) {
      await planJob(db, job.id, config, images.map((i) => i.classIndex), k, channels);
      images.splice(0, images.length, ...jobImages(db, job.id));
    }
    const runConfig = runConfigSchema.parse({
      model: config.model, imageSize: config.imageSize, epochs: config.epochsPerFold, batchSize: config.batchSize,
      learningRate: config.learningRate, seed: config.seed, augmentation: { padding: Math.max(1, Math.round(config.imageSize / 8)), horizontalFlip: true },
    });
    const started = performance.now();
    let stepsDoneHere = 0;
    const done = finishedFolds(db, job.id);
    const remaining = Array.from({ length: config.folds }, (_, f) => f).filter((f) => !done.has(f));
    const stepsPerFold = (fold: number) => Math.floor(images.filter((i) => i.fold !== fold).length / config.batchSize) * config.epochsPerFold;
    const totalSteps = remaining.reduce((sum, f) => sum + stepsPerFold(f), 0);
    let lastProgress = 0;
    const jobDb = db;

    for (const fold of remaining) {
      if (shouldStop()) break;
      const train = images.filter((i) => i.fold !== fold);
      const held = images.filter((i) => i.fold === fold);
      const model = initialRunModel(config.model, { ...runConfig, seed: runConfig.seed + fold }, channels, k);
      const trainer = new Trainer({
        model,
        train: new RunDataSource(db, train, k, config.imageSize, channels),
        config: { ...trainingConfigOf(runConfig), seed: runConfig.seed + fold },
        onBatch: (progress) => {
          if (shouldStop()) trainer.stop();
          const now = performance.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS && progress.batch !== progress.batchesPerEpoch) return;
          lastProgress = now;
          const doneSteps = stepsDoneHere + progress.step;
          const perStep = (now - started) / 1000 / Math.max(1, doneSteps);
          const etaSeconds = Math.max(0, (totalSteps - doneSteps) * perStep);
          const foldsDone = config.folds - remaining.length + remaining.indexOf(fold);
          const message = `Fold ${fold + 1} of ${config.folds}: epoch ${progress.epoch}/${progress.epochs}, batch ${progress.batch}/${progress.batchesPerEpoch}`;
          updateLabelIssueJob(jobDb, job.id, { etaSeconds, heartbeatAt: Date.now(), detail: message, foldsDone });
          post({ type: 'progress', fold, folds: config.folds, done: doneSteps, total: totalSteps, etaSeconds, message });
        },
      });
      let outcome;
      try {
        outcome = await trainer.run();
      } finally {
        trainer.dispose();
      }
      if (outcome.status === 'stopped') {
        model.dispose();
        break;
      }
      const inference = await buildInferenceModel(trainer.model);
      try {
        const predictions = await predictSource(inference, new RunDataSource(db, held, k, config.imageSize, channels), {
          normalization: trainer.normalization!, batchSize: 128,
        });
        storeFoldProbabilities(db, job.id, Array.from(predictions.ids, (imageId, i) => ({ imageId, probabilities: predictions.probabilities.slice(i * k, (i + 1) * k) })));
      } finally {
        inference.dispose();
        model.dispose();
      }
      stepsDoneHere += stepsPerFold(fold);
      updateLabelIssueJob(db, job.id, { foldsDone: finishedFolds(db, job.id).size, heartbeatAt: Date.now() });
    }

    if (finishedFolds(db, job.id).size < config.folds) {
      updateLabelIssueJob(db, job.id, { status: 'stopped', finishedAt: Date.now(), etaSeconds: null, foldsDone: finishedFolds(db, job.id).size, detail: 'Stopped: finished folds are kept; resume continues at the next one' });
      post({ type: 'finished', status: 'stopped' });
      return;
    }
    const rows = outOfSampleProbabilities(db, job.id);
    const probabilities = new Float32Array(rows.length * k);
    rows.forEach((r, i) => probabilities.set(r.probabilities, i * k));
    const result = confidentLearning(probabilities, rows.map((r) => r.classIndex), k);
    storeLabelIssues(db, job.id, result.issues.map((issue) => ({
      imageId: rows[issue.index]!.imageId,
      given: issue.given,
      suggested: issue.suggested,
      score: issue.score,
      selfConfidence: issue.selfConfidence,
      suggestedProbability: rows[issue.index]!.probabilities[issue.suggested]!,
    })));
    updateLabelIssueJob(db, job.id, {
      status: 'completed', finishedAt: Date.now(), etaSeconds: 0, accuracy: result.accuracy, foldsDone: config.folds,
      detail: `${result.issues.length} likely label issues among ${rows.length} images`,
    });
    post({ type: 'finished', status: 'completed' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    try {
      if (db) updateLabelIssueJob(db, data.jobId, { status: 'failed', error: message, finishedAt: Date.now() });
    } catch {
      // the database itself failed: the message below still reaches the studio
    }
    post({ type: 'failed', error: message });
  } finally {
    db?.close();
  }
}
