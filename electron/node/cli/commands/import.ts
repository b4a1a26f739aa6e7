/** `attention-studio import FOLDER`: imports an image folder (one subfolder per class) into a workspace. */
import path from 'node:path';
import type { ImportProgress, ImportReport, SplitName } from '../../../common/contract/dataset.js';
import { readCsvList } from '../../import/csvList.js';
import { importImages } from '../../import/importer.js';
import { requireFolder } from '../../import/walk.js';
import { openWorkspaceDb } from '../../storage/db.js';
import { UsageError, type Command } from '../command.js';
import { shown } from '../printable.js';

function progressLine(p: Omit<ImportProgress, 'jobId'>): string {
  const counts = `${p.imported} imported, ${p.unchanged} unchanged, ${p.duplicates} duplicates, ${p.skipped} skipped, ${p.imagesPerSecond} files/s`;
  if (!p.walkDone || p.seen === 0) return `${p.processed} files ... ${counts}`;
  const width = 24;
  const filled = Math.round((p.processed / p.seen) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.processed}/${p.seen}  ${counts}`;
}

/** The import's rule for symbolic links, in words, with what it did. */
export function linkPolicy(report: ImportReport): string {
  const { policy, followed, outside } = report.links;
  if (policy === 'as-listed') return `Symbolic links: the CSV's paths are read wherever they lead (${followed} links)`;
  return `Symbolic links: followed only where they lead inside ${report.folder} (${followed} followed, ${outside} leading outside not followed${outside > 0 ? ', listed as skipped' : ''})`;
}

export function hiddenLine(report: ImportReport): string {
  const { count, examples } = report.hidden;
  const names = examples.map((p) => path.basename(p)).join(', ');
  return `${count} hidden ${count === 1 ? 'entry' : 'entries'} left out (names starting with a dot, or system files: ${names}${count > examples.length ? ', ...' : ''})`;
}

/** `--split`: the contract's split names, and "validation" for val. */
const splitOptions: Record<string, SplitName> = { train: 'train', val: 'val', validation: 'val', test: 'test' };

function humanReport(report: ImportReport): string {
  const lines = [
    `${report.cancelled ? 'Import cancelled' : 'Imported'} ${report.imported} images in ${report.seconds.toFixed(1)} s ` +
      shown`(${report.imagesPerSecond}/s) into ${report.workspace}` +
      (report.split ? `, all in the ${report.split} split` : ''),
    `  ${report.unchanged} already in the workspace, ${report.duplicates} duplicates, ${report.skipped.length} skipped`,
    `  ${linkPolicy(report)}`,
  ];
  if (report.hidden.count > 0) lines.push(`  ${hiddenLine(report)}`);
  for (const c of report.conflicts.slice(0, 20)) {
    lines.push(shown`  conflict: ${c.path} (${c.conflict?.label ?? 'unlabelled'}) is the same image as ${c.sameAs} (${c.conflict?.keptLabel ?? 'unlabelled'}); kept ${c.conflict?.keptLabel ?? 'unlabelled'}`);
  }
  if (report.conflicts.length > 20) lines.push(`  ... and ${report.conflicts.length - 20} more conflicts (--json lists all)`);
  for (const s of report.skipped.slice(0, 50)) lines.push(shown`  skipped: ${s.path}: ${s.reason}`);
  if (report.skipped.length > 50) lines.push(`  ... and ${report.skipped.length - 50} more skipped files (--json lists all)`);
  lines.push('Classes:');
  for (const [name, count] of Object.entries(report.classes)) lines.push(shown`  ${name}: ${count}`);
  return lines.join('\n');
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Import an image folder (one subfolder per class) or a CSV of path,label into a workspace',
  usage: 'import FOLDER [--csv FILE] [--max-pixels N] [--split train|val|test] --workspace DIR [--json]',
  options: {
    csv: { type: 'string' },
    'max-pixels': { type: 'string' },
    split: { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const workspace = ctx.requireWorkspace({ create: true });
    const csv = typeof values.csv === 'string' ? path.resolve(values.csv) : undefined;
    if (positionals.length > 1) throw new UsageError(`expected one FOLDER, got ${positionals.length}`);
    const folder = positionals[0] ? path.resolve(positionals[0]) : csv ? path.dirname(csv) : undefined;
    if (!folder) throw new UsageError('FOLDER is required (or --csv FILE)');
    let maxPixels: number | undefined;
    if (values['max-pixels'] !== undefined) {
      maxPixels = Number(values['max-pixels']);
      if (!Number.isInteger(maxPixels) || maxPixels <= 0) throw new UsageError(`--max-pixels: "${String(values['max-pixels'])}" is not a positive whole number`);
    }
    let split: SplitName | undefined;
    if (values.split !== undefined) {
      split = splitOptions[String(values.split)];
      if (!split) throw new UsageError(`--split: "${String(values.split)}" is not a split (train, val or test)`);
    }
    // Everything is checked before the workspace is created: a failed import leaves nothing behind.
    if (csv) await readCsvList(csv);
    else await requireFolder(folder);
    const showBar = ctx.isTTY && !ctx.json;
    const db = openWorkspaceDb(workspace);
    try {
      const report = await importImages(db, {
        folder,
        workspace,
        ...(csv ? { csv } : {}),
        ...(maxPixels ? { maxPixels } : {}),
        ...(split ? { split } : {}),
        signal: ctx.interrupted,
        ...(showBar ? { onProgress: (p: Omit<ImportProgress, 'jobId'>) => ctx.stderr.write(`\r\x1b[K${progressLine(p)}`) } : {}),
      });
      if (showBar) ctx.stderr.write('\r\x1b[K');
      ctx.print(report, humanReport(report));
      return report.cancelled ? 130 : 0;
    } finally {
      db.close();
    }
  },
};
