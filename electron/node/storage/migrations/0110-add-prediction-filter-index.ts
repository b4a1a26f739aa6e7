import type { Migration } from './types.js';

/**
 * The grid's "predicted as" filter: a run's predictions of one class in image id order, so its pages are
 * keyset range searches like every other grid filter (pinned by queryPlans.test.ts).
 */
export const addPredictionFilterIndex: Migration = {
  version: 110,
  name: 'add-prediction-filter-index',
  up(db) {
    db.exec('CREATE INDEX predictions_predicted ON predictions(run_id, predicted, image_id)');
  },
};
