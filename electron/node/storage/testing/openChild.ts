/**
 * Opens workspace databases in a child process for the concurrent-open test. It prints "ready" once
 * loaded; then, for each workspace folder written to its stdin (one a line, sent to every child at
 * once so they race), opens and migrates it and prints the schema version it ended with, or the error.
 */
import { createInterface } from 'node:readline';
import { openWorkspaceDb } from '../db.js';
import { schemaVersion } from '../migrate.js';

process.stdout.write('ready\n');
for await (const workspace of createInterface({ input: process.stdin })) {
  try {
    const db = openWorkspaceDb(workspace);
    process.stdout.write(`${JSON.stringify({ version: schemaVersion(db) })}\n`);
    db.close();
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  }
}
