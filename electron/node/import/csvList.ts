/**
 * A CSV of `path,label` rows as import entries: for labels kept outside the folder structure. Paths
 * are relative to the CSV's folder unless absolute; a header row is recognised by a first cell "path".
 * An empty label means unlabelled.
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { StudioError } from '../../common/errors.js';
import { emptyTally, fileSystemReason, type ImportEntry, type WalkTally } from './walk.js';

export async function readCsvList(csvPath: string): Promise<{ path: string; label: string | null; line: number }[]> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (error) {
    throw new StudioError('io_error', `csv: cannot read ${csvPath}: ${fileSystemReason(error)}`, { field: 'csv', cause: error });
  }
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (error) {
    throw new StudioError('invalid_argument', `csv: ${csvPath} is not a valid CSV: ${(error as Error).message}`, { field: 'csv' });
  }
  const base = path.dirname(path.resolve(csvPath));
  const hasHeader = rows.length > 0 && rows[0][0]?.toLowerCase() === 'path';
  const list: { path: string; label: string | null; line: number }[] = [];
  rows.forEach((row, index) => {
    if (hasHeader && index === 0) return;
    const file = row[0];
    if (!file) return;
    const label = row[1]?.normalize('NFC') || null;
    list.push({ path: path.resolve(base, file), label, line: index + 1 });
  });
  if (list.length === 0) throw new StudioError('invalid_argument', `csv: ${csvPath} lists no files (expected rows of path,label)`, { field: 'csv' });
  return list;
}

/** Files named one by one are read wherever they lead, links included: the user named each file. Links are counted. */
export async function* listedEntries(
  rows: Iterable<{ path: string; label: string | null; where?: string }>,
  signal?: AbortSignal,
  tally: WalkTally = emptyTally(),
): AsyncGenerator<ImportEntry> {
  for (const row of rows) {
    if (signal?.aborted) return;
    const where = row.where ? ` (${row.where})` : '';
    try {
      const info = await stat(row.path);
      if ((await lstat(row.path)).isSymbolicLink()) tally.linksFollowed++;
      if (info.isFile()) yield { kind: 'file', path: row.path, label: row.label, size: info.size, mtimeMs: Math.trunc(info.mtimeMs) };
      else yield { kind: 'skip', path: row.path, reason: `not a regular file${where}` };
    } catch (error) {
      yield { kind: 'skip', path: row.path, reason: `${fileSystemReason(error)}${where}` };
    }
  }
}

/** A CSV's rows as import entries, each skip naming its line. */
export async function* csvEntries(csvPath: string, signal?: AbortSignal, tally: WalkTally = emptyTally()): AsyncGenerator<ImportEntry> {
  const rows = (await readCsvList(csvPath)).map((row) => ({ ...row, where: `line ${row.line} of ${csvPath}` }));
  yield* listedEntries(rows, signal, tally);
}
