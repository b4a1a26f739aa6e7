/**
 * The dataset part of the contract: importing folders, browsing and labelling images, classes, undo,
 * splits and export. Image and class ids are SQLite row ids of the open workspace.
 */
import { z } from 'zod';
import { method } from './define.js';

export const splitNames = ['train', 'val', 'test'] as const;
export type SplitName = (typeof splitNames)[number];

/** ok: use the label; unsure: labelled but flagged for review; excluded: never trained or evaluated on. */
export const labelStates = ['ok', 'unsure', 'excluded'] as const;
export type LabelState = (typeof labelStates)[number];

export interface ImageSummary {
  id: number;
  fileName: string;
  /** Where the file was when it was first imported. */
  sourcePath: string;
  /** null: unlabelled. */
  classId: number | null;
  className: string | null;
  state: LabelState;
  split: SplitName;
  /** The user chose the split (an import as a split, or a move by hand): the ratios never move it. */
  splitPinned: boolean;
  /** The import that first brought the image in; null for images from before imports were recorded. */
  importId: number | null;
  format: string;
  width: number;
  height: number;
  channels: number;
  bytes: number;
  contentHash: string;
  importedAt: number;
}

export interface ImagePage {
  images: ImageSummary[];
  /** Pass as `after` for the next page; null when this was the last one. */
  nextCursor: number | null;
}

export interface SplitCounts {
  total: number;
  train: number;
  val: number;
  test: number;
  unsure: number;
  excluded: number;
}

export interface ClassCount extends SplitCounts {
  id: number;
  name: string;
}

export interface ClassCounts {
  classes: ClassCount[];
  unlabelled: SplitCounts;
  all: SplitCounts;
}

export interface Thumbnail {
  imageId: number;
  mime: string;
  width: number;
  height: number;
  base64: string;
}

export interface ImagePreview extends Thumbnail {
  /** false when the original file can no longer be read and this is the stored thumbnail. */
  fromOriginal: boolean;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface DuplicateFile {
  path: string;
  /** The file (already imported, or earlier in this import) with the same content. */
  sameAs: string;
  /** Set when the two copies carry different labels; the first label is kept. */
  conflict?: { label: string | null; keptLabel: string | null };
}

export interface ImportProgress {
  jobId: string;
  /** Files found so far, and how many have been dealt with (imported, unchanged, duplicate or skipped). */
  seen: number;
  processed: number;
  imported: number;
  unchanged: number;
  duplicates: number;
  skipped: number;
  imagesPerSecond: number;
  elapsedSeconds: number;
  /** true once the folder walk has finished, so `seen` is the total. */
  walkDone: boolean;
}

export interface ImportReport {
  folder: string;
  workspace: string;
  /** This import's record: `excludeImport` takes it. */
  importId: number;
  /** The split its new images were put in (pinned there); null: the split ratios placed them. */
  split: SplitName | null;
  imported: number;
  /** Files already in the workspace from an earlier import of the same path. */
  unchanged: number;
  duplicates: number;
  duplicateFiles: DuplicateFile[];
  conflicts: DuplicateFile[];
  skipped: SkippedFile[];
  /**
   * Symbolic links. A folder import follows a link only where it leads inside the imported folder
   * ('inside-folder'); each other one is listed in `skipped` and counted in `outside`. A CSV's rows are
   * read wherever they lead ('as-listed'): the user named each file.
   */
  links: { policy: 'inside-folder' | 'as-listed'; followed: number; outside: number };
  /** Hidden files and folders (names starting with a dot) and system files such as Thumbs.db, left out unread. */
  hidden: { count: number; examples: string[] };
  /** Image count per class in the whole workspace after the import; "(unlabelled)" for none. */
  classes: Record<string, number>;
  cancelled: boolean;
  seconds: number;
  imagesPerSecond: number;
}

/** An import run and what became of the images it brought in. */
export interface ImportRecord {
  id: number;
  /** The folder (or CSV list) imported. */
  source: string;
  startedAt: number;
  finishedAt: number | null;
  /**
   * 'interrupted': its process ended part-way (killed, crashed); what it had written is complete, and
   * a rerun of the same folder records a new import that adds the rest.
   */
  status: 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted';
  /** The split it put its images in; null: the ratios placed them. */
  split: SplitName | null;
  /** Whether its report was kept (imports that finished, since reports are kept). */
  hasReport: boolean;
  /** Images this import brought in first (not counting duplicates of images already there). */
  images: number;
  excluded: number;
}

export type ImportJobState = 'running' | 'done' | 'cancelled' | 'failed';

export interface ImportJob {
  jobId: string;
  state: ImportJobState;
  progress: ImportProgress;
  report: ImportReport | null;
  error: string | null;
}

export interface ImportFinished {
  jobId: string;
  state: ImportJobState;
  report: ImportReport | null;
  error: string | null;
}

export interface LabelEditSummary {
  id: number;
  kind: string;
  summary: string;
  actor: string;
  createdAt: number;
  undone: boolean;
}

export interface LabelHistory {
  edits: LabelEditSummary[];
  canUndo: boolean;
  canRedo: boolean;
}

export interface UndoResult {
  /** The edit undone or redone; null when there was nothing to undo/redo. */
  edit: LabelEditSummary | null;
}

export interface SplitSettings {
  train: number;
  val: number;
  test: number;
  seed: number;
  testLocked: boolean;
}

export interface ExportReport {
  destination: string;
  format: 'folders' | 'csv';
  exported: number;
  skipped: SkippedFile[];
}

export interface DatasetChanged {
  reason: 'import' | 'labels' | 'classes' | 'splits';
}

const id = z.number().int().positive();
const ids = z.array(id).min(1).max(1_000_000);
/** A class name as the user types it: it becomes a folder name when the dataset is exported. */
export const classNameSchema = z
  .string()
  .trim()
  .min(1, 'a class name cannot be empty')
  .max(200)
  .refine((s) => !/[/\\]/.test(s) && s !== '.' && s !== '..', {
    message: 'a class name cannot contain / or \\, or be . or .. (it becomes a folder name on export)',
  });
const ratio = z.number().min(0).max(1);

/** The grid's filters, shared by listImages and countImages. */
const imageFilter = z.strictObject({
  /** A class id, null for unlabelled images, absent for all. */
  classId: id.nullable().optional(),
  split: z.enum(splitNames).optional(),
  state: z.enum(labelStates).optional(),
  /** Part of the image's path (its folders or file name), case-insensitive. */
  search: z.string().max(200).optional(),
  /** Images an import brought in (an ImportRecord id). */
  importId: id.optional(),
  /** Images a run predicted as one of its classes (an index into the run's classNames), in any evaluated split. */
  prediction: z.strictObject({ runId: id, predicted: z.number().int().nonnegative() }).optional(),
});

export const datasetMethods = {
  importFolder: method<{ jobId: string }>()(
    z.strictObject({
      folder: z.string().min(1),
      /** A CSV of `path,label` rows instead of class subfolders; paths relative to the CSV's folder. */
      csv: z.string().min(1).optional(),
      maxPixels: z.number().int().positive().optional(),
      /** Put every new image in this split, pinned (the folder is a validation or test set); absent: by the ratios. */
      split: z.enum(splitNames).optional(),
    }),
    'Starts importing a folder (one subfolder per class) or a CSV of path,label; progress comes as import.progress events.',
  ),
  importStatus: method<ImportJob>()(z.strictObject({ jobId: z.string() }), 'The state, progress and final report of an import job.'),
  cancelImport: method<{ cancelled: boolean }>()(
    z.strictObject({ jobId: z.string() }),
    'Stops an import; what was imported so far stays, complete.',
  ),
  listImages: method<ImagePage>()(
    imageFilter.extend({
      /** The `nextCursor` of the previous page. */
      after: z.number().int().nonnegative().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }),
    'One page of images matching the filters, in import order.',
  ),
  countImages: method<{ count: number }>()(imageFilter, 'How many images match the filters of listImages.'),
  imageCursors: method<{ cursors: number[] }>()(
    imageFilter.extend({
      after: z.number().int().nonnegative().optional(),
      /** Images per page. */
      every: z.number().int().min(1).max(1000),
      pages: z.number().int().min(1).max(2000),
    }),
    'The `after` cursors of the next pages of listImages (one per `every` images), so a grid can jump far ahead without fetching the rows in between.',
  ),
  getImage: method<ImageSummary>()(z.strictObject({ imageId: id }), 'Everything stored about one image.'),
  classCounts: method<ClassCounts>()(z.strictObject({}), 'Image counts per class, split and label state.'),
  getThumbnail: method<Thumbnail>()(z.strictObject({ imageId: id }), 'The preview of one image.'),
  getThumbnails: method<Thumbnail[]>()(
    z.strictObject({ imageIds: z.array(id).max(500) }),
    'Previews of several images (a grid page); missing ids are left out.',
  ),
  getImagePreview: method<ImagePreview>()(
    z.strictObject({ imageId: id, maxSide: z.number().int().min(16).max(4096).default(512) }),
    'The original image re-encoded to at most maxSide pixels on its longer side (the thumbnail when the file is gone).',
  ),
  relabelImages: method<{ changed: number }>()(
    z.strictObject({ imageIds: ids, classId: id.nullable() }),
    'Puts images in a class (or none, with null) as one undoable edit.',
  ),
  moveToSplit: method<{ changed: number }>()(
    z.strictObject({ imageIds: ids, split: z.enum(splitNames).nullable() }),
    'Puts images in a split by hand (the ratios no longer move them), or with null gives them back to the ratios, as one undoable edit.',
  ),
  listImports: method<ImportRecord[]>()(z.strictObject({}), 'Every import into the workspace, newest first.'),
  importReport: method<{ record: ImportRecord; report: ImportReport | null }>()(
    z.strictObject({ importId: id }),
    "A past import's record and the report it finished with (null when it was interrupted, or ran before reports were kept).",
  ),
  excludeImport: method<{ changed: number }>()(
    z.strictObject({ importId: id }),
    'Marks every image an import brought in as excluded, as one undoable edit (undo brings them back).',
  ),
  setLabelState: method<{ changed: number }>()(
    z.strictObject({ imageIds: ids, state: z.enum(labelStates) }),
    'Marks images ok, unsure or excluded as one undoable edit.',
  ),
  addClass: method<ClassCount>()(z.strictObject({ name: classNameSchema }), 'Creates an empty class.'),
  renameClass: method<ClassCount>()(z.strictObject({ classId: id, name: classNameSchema }), 'Renames a class.'),
  mergeClasses: method<ClassCount>()(
    z.strictObject({ sourceIds: ids, targetId: id }),
    'Moves every image of the source classes into the target class and deletes the sources.',
  ),
  deleteClass: method<{ unlabelled: number }>()(
    z.strictObject({ classId: id }),
    'Deletes a class; its images become unlabelled.',
  ),
  labelHistory: method<LabelHistory>()(
    z.strictObject({ limit: z.number().int().min(1).max(1000).optional() }),
    'The latest label edits, newest first, and whether undo/redo are possible.',
  ),
  undoLabelEdit: method<UndoResult>()(z.strictObject({}), 'Undoes the latest label or class edit.'),
  redoLabelEdit: method<UndoResult>()(z.strictObject({}), 'Redoes the latest undone edit.'),
  getSplitSettings: method<SplitSettings>()(z.strictObject({}), 'Split ratios, seed and whether the test split is locked.'),
  setSplitRatios: method<SplitSettings & { moved: number }>()(
    z.strictObject({ train: ratio, val: ratio, test: ratio, seed: z.number().int().nonnegative().optional() }),
    'Sets the train/val/test ratios (they must add up to 1) and reassigns splits per class.',
  ),
  lockTestSplit: method<SplitSettings>()(
    z.strictObject({ locked: z.boolean() }),
    'Locks (or unlocks) the test split: while locked, no image enters or leaves it.',
  ),
  exportDataset: method<ExportReport>()(
    z.strictObject({
      destination: z.string().min(1),
      format: z.enum(['folders', 'csv']),
      splits: z.array(z.enum(splitNames)).optional(),
      /** Put each split in its own top folder (folders) or add a split column (csv). */
      bySplit: z.boolean().optional(),
      includeUnsure: z.boolean().optional(),
    }),
    'Writes the labelled images as class subfolders (copies of the originals) or as a CSV of path,label.',
  ),
};
