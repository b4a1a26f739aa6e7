import type { Migration } from './types.js';

/**
 * Each finished import keeps its report (the JSON of the contract's ImportReport), so it can be read
 * again after its dialog is closed. Imports from before this step have none.
 */
export const addImportReports: Migration = {
  version: 160,
  name: 'add-import-reports',
  up(db) {
    db.exec('ALTER TABLE imports ADD COLUMN report TEXT');
  },
};
