/**
 * Writes the labelled dataset back out: a class-subfolder tree (the layout the importer reads) or a CSV
 * of path,label. Files are copied from their import sources after checking that the content is still
 * the imported one (same sha256), so an export never ships a file that changed on disk since. Nothing
 * already at the destination is overwritten.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExportReport, SkippedFile, SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import { MiB, readStoredFile, UnreadableFileError } from '../files/readStoredFile.js';
import type { Db } from '../storage/db.js';
import { sourcePathsOf } from '../storage/trainingCache.js';
import { fileSystemReason } from '../import/walk.js';

export interface ExportOptions {
  destination: string;
  format: 'folders' | 'csv';
  /** Only these splits (default: all). */
  splits?: SplitName[];
  /** folders: <split>/<class>/file; csv: a third column with the split. */
  bySplit?: boolean;
  includeUnsure?: boolean;
}

interface ExportRow {
  id: number;
  content_hash: string;
  source_path: string;
  file_name: string;
  split: SplitName;
  class_name: string;
}

function rowsToExport(db: Db, options: ExportOptions): ExportRow[] {
  const splits = options.splits ?? ['train', 'val', 'test'];
  const states = options.includeUnsure ? ['ok', 'unsure'] : ['ok'];
  return db
    .prepare<[string, string], ExportRow>(
      `SELECT i.id, i.content_hash, i.source_path, i.file_name, i.split, c.name AS class_name
       FROM images i JOIN classes c ON c.id = i.class_id
       WHERE i.split IN (SELECT value FROM json_each(?)) AND i.state IN (SELECT value FROM json_each(?))
       ORDER BY c.name, i.id`,
    )
    .all(JSON.stringify(splits), JSON.stringify(states));
}

/** Characters Windows and macOS refuse in names become "_", so an export opens anywhere. */
function safeName(name: string): string {
  const printable = [...name].map((ch) => (ch.charCodeAt(0) < 0x20 ? '_' : ch)).join('');
  return printable.replace(/[<>:"|?*]/g, '_').replace(/[. ]+$/, '_');
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The bytes of the image as imported: the first source path whose content still has its hash. */
async function originalBytes(db: Db, row: ExportRow): Promise<Buffer | string> {
  let reason = 'no source file left';
  for (const candidate of [row.source_path, ...sourcePathsOf(db, row.id).filter((p) => p !== row.source_path)]) {
    try {
      const bytes = await readStoredFile(candidate, { maxBytes: 512 * MiB, timeoutMs: 60_000 });
      if (createHash('sha256').update(bytes).digest('hex') === row.content_hash) return bytes;
      reason = 'the file changed on disk since it was imported';
    } catch (error) {
      reason = error instanceof UnreadableFileError ? `the source ${error.message}` : fileSystemReason(error);
    }
  }
  return reason;
}

async function exportFolders(db: Db, rows: ExportRow[], options: ExportOptions): Promise<ExportReport> {
  const skipped: SkippedFile[] = [];
  const taken = new Set<string>();
  let exported = 0;
  for (const row of rows) {
    const folder = path.join(options.destination, ...(options.bySplit ? [row.split] : []), safeName(row.class_name));
    const bytes = await originalBytes(db, row);
    if (typeof bytes === 'string') {
      skipped.push({ path: row.source_path, reason: bytes });
      continue;
    }
    await mkdir(folder, { recursive: true });
    const ext = path.extname(row.file_name);
    const stem = safeName(path.basename(row.file_name, ext));
    // Two classes merged from different folders can hold two 0001.jpg: the second gets its id appended.
    let target = path.join(folder, stem + ext);
    if (taken.has(target.toLowerCase())) target = path.join(folder, `${stem}-${row.id}${ext}`);
    try {
      await writeFile(target, bytes, { flag: 'wx' });
      taken.add(target.toLowerCase());
      exported++;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      skipped.push({ path: target, reason: code === 'EEXIST' ? 'a file with this name is already in the destination' : fileSystemReason(error) });
      if (code === 'ENOSPC') throw new StudioError('io_error', `The disk is full writing ${target}`, { field: 'destination' });
    }
  }
  return { destination: options.destination, format: 'folders', exported, skipped };
}

async function exportCsv(rows: ExportRow[], options: ExportOptions): Promise<ExportReport> {
  const header = options.bySplit ? 'path,label,split' : 'path,label';
  const lines = rows.map((row) =>
    [row.source_path, row.class_name, ...(options.bySplit ? [row.split] : [])].map(csvField).join(','),
  );
  if (await stat(options.destination).then(() => true, () => false)) {
    throw new StudioError('conflict', `destination: ${options.destination} already exists; choose a new file name`, { field: 'destination' });
  }
  await mkdir(path.dirname(options.destination), { recursive: true });
  // Written beside and renamed: a crash leaves no half-written CSV under the requested name.
  const temp = `${options.destination}.${process.pid}.tmp`;
  await writeFile(temp, [header, ...lines].join('\n') + '\n');
  await rename(temp, options.destination);
  return { destination: options.destination, format: 'csv', exported: rows.length, skipped: [] };
}

export async function exportDataset(db: Db, options: ExportOptions): Promise<ExportReport> {
  const rows = rowsToExport(db, options);
  try {
    return options.format === 'csv' ? await exportCsv(rows, options) : await exportFolders(db, rows, options);
  } catch (error) {
    if (error instanceof StudioError) throw error;
    throw new StudioError('io_error', `destination: cannot write ${options.destination}: ${fileSystemReason(error)}`, {
      field: 'destination',
      cause: error,
    });
  }
}
