/** Every schema step, oldest first. Append only: a released step is never edited or removed. */
import { createClassesAndImages } from './0010-create-classes-and-images.js';
import { createLabelHistory } from './0020-create-label-history.js';
import { createThumbnailsAndTrainingCache } from './0030-create-thumbnails-and-training-cache.js';
import { addImageQueryIndexes } from './0040-add-image-query-indexes.js';
import { createRuns } from './0100-create-runs.js';
import { addPredictionFilterIndex } from './0110-add-prediction-filter-index.js';
import { addImports } from './0120-add-imports.js';
import { addOwners } from './0130-add-owners.js';
import { addProvisionalSplits } from './0140-add-provisional-splits.js';
import { addChosenSplits } from './0150-add-chosen-splits.js';
import { addImportReports } from './0160-add-import-reports.js';
import { searchFolders } from './0170-search-folders.js';
import { addTrainingCachePolicy } from './0180-add-training-cache-policy.js';
import { createLabelIssueJobs } from './0200-create-label-issue-jobs.js';
import { createLabelSuggestions } from './0210-create-label-suggestions.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const migrations: readonly Migration[] = [
  createClassesAndImages,
  createLabelHistory,
  createThumbnailsAndTrainingCache,
  addImageQueryIndexes,
  createRuns,
  addPredictionFilterIndex,
  addImports,
  addOwners,
  addProvisionalSplits,
  addChosenSplits,
  addImportReports,
  searchFolders,
  addTrainingCachePolicy,
  createLabelIssueJobs,
  createLabelSuggestions,
];
