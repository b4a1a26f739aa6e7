/**
 * `attention-studio dataset`: counts per class and split; `dataset split` sets ratios and the test lock;
 * `dataset export DEST` writes the labelled images as class folders or a CSV; `dataset imports` lists
 * the imports and `dataset exclude-import ID` excludes the images one brought in (undoable in the app).
 */
import path from 'node:path';
import type { ClassCounts, SplitCounts, SplitSettings } from '../../../common/contract/dataset.js';
import { exportDataset } from '../../export/exportDataset.js';
import { reapAbandoned } from '../../ownership.js';
import { openWorkspaceDb, type Db } from '../../storage/db.js';
import { classCounts } from '../../storage/images.js';
import { excludeImport, listImports } from '../../storage/imports.js';
import { lockTestSplit, setSplitRatios, splitSettings } from '../../storage/splits.js';
import { UsageError, type CliContext, type Command } from '../command.js';
import { printable, shown } from '../printable.js';

type Counts = Omit<SplitCounts, never>;

function table(counts: ClassCounts, splits: SplitSettings): string {
  const rows: [string, Counts][] = [
    ...counts.classes.map((c): [string, Counts] => [printable(c.name), c]),
    ...(counts.unlabelled.total > 0 ? [['(unlabelled)', counts.unlabelled] as [string, Counts]] : []),
    ['all', counts.all],
  ];
  const width = Math.max(5, ...rows.map(([name]) => name.length));
  const columns = ['total', 'train', 'val', 'test', 'unsure', 'excluded'] as const;
  const line = (name: string, cells: (string | number)[]) => `${name.padEnd(width)}  ${cells.map((c) => String(c).padStart(9)).join('')}`;
  return [
    line('class', [...columns]),
    ...rows.map(([name, c]) => line(name, columns.map((k) => c[k]))),
    '',
    `splits: train ${splits.train}, val ${splits.val}, test ${splits.test}, seed ${splits.seed}${splits.testLocked ? ', test split locked' : ''}`,
  ].join('\n');
}

function ratio(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new UsageError(`--${name}: "${String(raw)}" is not a ratio between 0 and 1`);
  return value;
}

function summary(db: Db) {
  const counts = classCounts(db);
  const splits = splitSettings(db);
  const classes = Object.fromEntries(counts.classes.map(({ id: _id, name, ...c }) => [name, c]));
  return { result: { classes, unlabelled: counts.unlabelled, all: counts.all, splits }, human: table(counts, splits) };
}

function runSplit(ctx: CliContext, db: Db, values: Record<string, unknown>): void {
  const current = splitSettings(db);
  if (values['lock-test'] && values['unlock-test']) throw new UsageError('--lock-test and --unlock-test cannot go together');
  if (values['unlock-test']) lockTestSplit(db, false);
  if (['train', 'val', 'test', 'seed'].some((k) => values[k] !== undefined)) {
    const seed = values.seed === undefined ? current.seed : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: "${String(values.seed)}" is not a whole number`);
    setSplitRatios(db, { train: ratio(values, 'train', current.train), val: ratio(values, 'val', current.val), test: ratio(values, 'test', current.test), seed });
  }
  if (values['lock-test']) lockTestSplit(db, true);
  const { result, human } = summary(db);
  ctx.print(result, human);
}

export const datasetCommand: Command = {
  name: 'dataset',
  summary: 'Image counts per class and split; `dataset split` sets ratios, `dataset export DEST` writes the labelled set',
  usage:
    'dataset [--json] | dataset split [--train R] [--val R] [--test R] [--seed N] [--lock-test|--unlock-test] | ' +
    'dataset export DEST [--csv] [--by-split] [--include-unsure] | dataset imports | dataset exclude-import ID',
  options: {
    train: { type: 'string' },
    val: { type: 'string' },
    test: { type: 'string' },
    seed: { type: 'string' },
    'lock-test': { type: 'boolean' },
    'unlock-test': { type: 'boolean' },
    csv: { type: 'boolean' },
    'by-split': { type: 'boolean' },
    'include-unsure': { type: 'boolean' },
  },
  async run(ctx, values, positionals) {
    const [action = 'counts', ...rest] = positionals;
    const db = openWorkspaceDb(ctx.requireWorkspace());
    try {
      if (action === 'counts') {
        const { result, human } = summary(db);
        ctx.print(result, human);
      } else if (action === 'split') {
        runSplit(ctx, db, values);
      } else if (action === 'export') {
        if (rest.length !== 1) throw new UsageError('dataset export needs one DEST (a folder, or a .csv file with --csv)');
        const report = await exportDataset(db, {
          destination: path.resolve(rest[0]),
          format: values.csv ? 'csv' : 'folders',
          bySplit: values['by-split'] === true,
          includeUnsure: values['include-unsure'] === true,
        });
        const skippedLines = report.skipped.slice(0, 50).map((s) => shown`  skipped: ${s.path}: ${s.reason}`);
        ctx.print(report, [shown`Exported ${report.exported} images to ${report.destination}`, ...skippedLines].join('\n'));
      } else if (action === 'imports') {
        reapAbandoned(db);
        const imports = listImports(db);
        const lines = imports.map((i) => `#${i.id}  ${new Date(i.startedAt).toISOString()}  ${i.status.padEnd(11)}  ` +
          `${i.images} images${i.excluded > 0 ? ` (${i.excluded} excluded)` : ''}  ${printable(i.source)}`);
        ctx.print({ imports }, lines.length > 0 ? lines.join('\n') : 'No imports yet.');
      } else if (action === 'exclude-import') {
        const importId = Number(rest[0]);
        if (rest.length !== 1 || !Number.isInteger(importId) || importId < 1) {
          throw new UsageError('dataset exclude-import needs one import ID (see `dataset imports`)');
        }
        const result = excludeImport(db, importId, 'cli');
        ctx.print({ importId, ...result }, `Excluded ${result.changed} images of import #${importId} (undo in the studio brings them back)`);
      } else {
        throw new UsageError(`unknown action "${action}" (expected split, export, imports or exclude-import)`);
      }
    } finally {
      db.close();
    }
  },
};
