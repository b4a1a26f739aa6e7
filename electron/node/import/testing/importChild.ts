/**
 * Runs one import in a child process for the kill test: prints a JSON progress line as each batch is
 * committed, so the parent knows when to SIGKILL it part-way. Usage: importChild.ts WORKSPACE FOLDER
 */
import { openWorkspaceDb } from '../../storage/db.js';
import { importImages } from '../importer.js';

const [workspace, folder] = process.argv.slice(2);
const db = openWorkspaceDb(workspace);
const report = await importImages(db, {
  folder,
  workspace,
  batchSize: 25,
  concurrency: 2,
  progressIntervalMs: 10,
  onProgress: (p) => process.stdout.write(`${JSON.stringify({ imported: p.imported })}\n`),
});
process.stdout.write(`${JSON.stringify({ done: report.imported })}\n`);
db.close();
