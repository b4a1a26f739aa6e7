/**
 * Suggestions for unlabelled images, as the inference worker makes them: every image without a class
 * (and not excluded) goes through the run's model at the run's input size; the predictions are stored
 * with the run, replacing its earlier ones.
 */
import { predictSource } from '../../../ml/train/evaluate.js';
import type { Db } from '../storage/db.js';
import { replaceSuggestions, unlabelledImageIds } from '../storage/suggestions.js';
import { resizePolicyOf } from '../../common/resizePolicy.js';
import { ensureTrainingCache } from '../training/cache.js';
import type { RunModels } from '../training/inferenceTasks.js';
import { RunDataSource } from '../training/runSource.js';

export async function suggestUnlabelled(db: Db, models: RunModels, runId: number, onProgress?: (done: number, total: number) => void): Promise<{ runId: number; images: number }> {
  const loaded = await models.get(runId);
  const ids = unlabelledImageIds(db);
  if (ids.length === 0) {
    replaceSuggestions(db, runId, []);
    return { runId, images: 0 };
  }
  const size = loaded.run.config.imageSize;
  const policy = resizePolicyOf(loaded.run.config);
  await ensureTrainingCache(db, ids, size, policy, onProgress);
  const k = loaded.run.classNames.length;
  // The source wants a class per image; unlabelled ones have none, and predictions ignore it.
  const source = new RunDataSource(db, ids.map((imageId) => ({ imageId, classIndex: 0 })), k, size, loaded.channels, policy);
  const predictions = await predictSource(loaded.classifier, source, { normalization: loaded.normalization, batchSize: 128 });
  replaceSuggestions(
    db,
    runId,
    Array.from(predictions.predicted, (predicted, i) => ({
      imageId: predictions.ids[i]!,
      predicted,
      confidence: predictions.probabilities[i * k + predicted]!,
      probabilities: predictions.probabilities.slice(i * k, (i + 1) * k),
    })),
  );
  return { runId, images: ids.length };
}
