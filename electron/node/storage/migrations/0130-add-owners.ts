import type { Migration } from './types.js';

/**
 * Who holds a run or an import. Several processes may share a workspace (the studio, a CLI `train`, a
 * CLI `import`); each one that trains or imports registers itself here and writes `heartbeat_at` every
 * few seconds while it lives. A run or import is marked interrupted only once its owner is gone, so a
 * run another process is training is never trained a second time, and one killed with kill -9 is not
 * left 'running' forever.
 */
export const addOwners: Migration = {
  version: 130,
  name: 'add-owners',
  up(db) {
    db.exec(`
      CREATE TABLE owners (
        -- host:pid:random, new for every owner (a process may hold several)
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      ) STRICT;
      ALTER TABLE runs ADD COLUMN owner_id TEXT REFERENCES owners(id) ON DELETE SET NULL;
      ALTER TABLE imports ADD COLUMN owner_id TEXT REFERENCES owners(id) ON DELETE SET NULL;
      CREATE INDEX runs_owner ON runs(owner_id) WHERE owner_id IS NOT NULL;
      CREATE INDEX imports_owner ON imports(owner_id) WHERE owner_id IS NOT NULL;
    `);
  },
};
