/**
 * Imports a folder (or a CSV of path,label) into the workspace database.
 *
 * Files are read, hashed and decoded several at a time (sharp decodes on libuv's thread pool, so two
 * cores stay busy while this thread hashes and writes). Finished images are written in batches, each
 * one transaction holding the image, its thumbnail, its training-cache pixels and its source path:
 * killing the process loses at most the batch in flight, never half of an image, and a rerun picks up
 * from there because already-imported paths are recognised by size and mtime, or by content hash.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuplicateFile, ImportProgress, ImportReport, SkippedFile, SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import { classRow, ensureClass } from '../storage/classes.js';
import type { Db } from '../storage/db.js';
import { countsByClassName, imageByHash, insertImage, upsertSource, type ImageByHash } from '../storage/images.js';
import { WorkspaceOwner } from '../ownership.js';
import { beginImport, finishImport } from '../storage/imports.js';
import { provisionalSplit, provisionalStrata, rebalanceSplits, refuseIfTestLocked, splitSettings } from '../storage/splits.js';
import { statement } from '../storage/statements.js';
import { insertThumbnail } from '../storage/thumbnails.js';
import { insertCachedPixels } from '../storage/trainingCache.js';
import { csvEntries, listedEntries } from './csvList.js';
import { BadImageError, defaultDecodeOptions, prepareImage, type PreparedImage } from './decode.js';
import { emptyTally, fileSystemReason, requireFolder, walkFolder, type ImportEntry } from './walk.js';

export interface ImportOptions {
  /** The folder with one subfolder per class; with `csv` or `files`, only used in the report. */
  folder: string;
  csv?: string;
  /** Files named one by one, each with its label (null: unlabelled), instead of a folder walk. */
  files?: { path: string; label: string | null }[];
  /** The workspace folder: never imported from, even when it sits inside `folder`. */
  workspace: string;
  /**
   * Put every new image in this split, pinned there (the folder is the user's validation or test
   * set); absent: the split ratios place them. Images already in the workspace keep their split.
   */
  split?: SplitName;
  maxPixels?: number;
  /** Files larger than this are skipped unread. */
  maxFileBytes?: number;
  /** Files being read and decoded at once. */
  concurrency?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Omit<ImportProgress, 'jobId'>) => void;
  progressIntervalMs?: number;
}

type FirstCopy = { ok: true; path: string; label: string | null } | { ok: false; reason: string };

type Write =
  | { kind: 'image'; entry: FileEntry; hash: string; prepared: PreparedImage }
  | { kind: 'source'; entry: FileEntry; hash: string };

type FileEntry = Extract<ImportEntry, { kind: 'file' }>;

const MiB = 1024 * 1024;

export async function importImages(db: Db, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const decodeOptions = { ...defaultDecodeOptions, maxPixels: options.maxPixels ?? defaultDecodeOptions.maxPixels };
  const maxFileBytes = options.maxFileBytes ?? 512 * MiB;
  const batchSize = options.batchSize ?? 256;
  const signal = options.signal;
  const folder = path.resolve(options.folder);
  const listed = options.files?.map((file) => ({ path: path.resolve(file.path), label: file.label }));
  if (!options.csv && !listed) await requireFolder(folder);
  const chosenSplit = options.split ?? null;
  if (chosenSplit === 'test') refuseIfTestLocked(db, 'importing a folder as the test split would add to it', 1);
  const tally = emptyTally();
  const entries = options.csv
    ? csvEntries(path.resolve(options.csv), signal, tally)
    : listed
      ? listedEntries(listed, signal, tally)
      : walkFolder(folder, { ignore: [options.workspace], signal, tally });
  // The import's record names what was imported: the CSV, the one file named, or the folder.
  const source = options.csv ? path.resolve(options.csv) : listed?.length === 1 ? listed[0]!.path : folder;

  const split = splitSettings(db);
  // Held by this process while it runs: killed part-way, it is marked interrupted by whoever looks next.
  const owner = new WorkspaceOwner(db);
  const importId = beginImport(db, source, owner.register(), chosenSplit);
  const skipped: SkippedFile[] = [];
  const duplicateFiles: DuplicateFile[] = [];
  const conflicts: DuplicateFile[] = [];
  const firstCopies = new Map<string, Promise<FirstCopy>>();
  let pending: Write[] = [];
  let lastFlush = performance.now();
  let seen = 0;
  let processed = 0;
  let imported = 0;
  let unchanged = 0;
  let walkDone = false;
  let fatal: unknown = null;

  const sourceByPath = statement<[string], { image_id: number; size: number; mtime_ms: number }>(
    db,
    'SELECT image_id, size, mtime_ms FROM image_sources WHERE path = ?',
  );

  /**
   * Writes a batch; returns how many images it inserted, and the images another import into the same
   * workspace inserted first (their insert was ignored). Counted only once the batch is committed.
   */
  const writeBatch = db.transaction((writes: Write[]): { inserted: number; takenBy: { entry: FileEntry; first: ImageByHash }[] } => {
    let inserted = 0;
    const takenBy: { entry: FileEntry; first: ImageByHash }[] = [];
    const classIds = new Map<string, number>();
    const classFor = (label: string | null): number | null => {
      if (label === null) return null;
      let id = classIds.get(label);
      if (id === undefined) classIds.set(label, (id = ensureClass(db, label)));
      return id;
    };
    const now = Date.now();
    for (const write of writes) {
      const { entry } = write;
      let imageId: number | undefined;
      if (write.kind === 'image') {
        const { prepared } = write;
        const classId = classFor(entry.label);
        const newId = insertImage(db, {
          contentHash: write.hash,
          sourcePath: entry.path,
          fileName: path.basename(entry.path),
          format: prepared.format,
          width: prepared.width,
          height: prepared.height,
          channels: prepared.channels,
          hasAlpha: prepared.hasAlpha,
          bytes: entry.size,
          importedAt: now,
          classId,
          ...(chosenSplit
            ? { split: chosenSplit, splitPinned: true }
            : { split: provisionalSplit(split, write.hash), provisionalSplit: true }),
          importId,
        });
        if (newId === null) {
          const first = imageByHash(db, write.hash);
          imageId = first?.id;
          if (first) takenBy.push({ entry, first });
        } else {
          imageId = newId;
          inserted++;
          insertThumbnail(db, { image_id: imageId, ...prepared.thumbnail });
          insertCachedPixels(db, { imageId, ...prepared.cache });
        }
      } else {
        imageId = imageByHash(db, write.hash)?.id;
      }
      if (imageId !== undefined) {
        upsertSource(db, { path: entry.path, image_id: imageId, size: entry.size, mtime_ms: entry.mtimeMs, folder_label: entry.label });
      }
    }
    return { inserted, takenBy };
  });

  const flush = () => {
    if (pending.length === 0) return;
    const writes = pending;
    pending = [];
    lastFlush = performance.now();
    let written;
    try {
      written = writeBatch.immediate(writes);
    } catch (error) {
      const message = (error as Error).message;
      throw new StudioError('io_error', `Cannot write to the workspace database in ${options.workspace}: ${message}`, { cause: error });
    }
    imported += written.inserted;
    for (const { entry, first } of written.takenBy) {
      if (first.source_path === entry.path) unchanged++;
      else recordDuplicate(entry, { path: first.source_path, label: labelOf(first.class_id) });
    }
  };

  const queue = (write: Write) => {
    pending.push(write);
    if (pending.length >= batchSize || performance.now() - lastFlush > 500) flush();
  };

  const skip = (file: string, reason: string) => skipped.push({ path: file, reason });

  const labelOf = (classId: number | null) => (classId === null ? null : (classRow(db, classId)?.name ?? null));

  const recordDuplicate = (entry: FileEntry, first: { path: string; label: string | null }) => {
    const record: DuplicateFile = { path: entry.path, sameAs: first.path };
    if (entry.label !== first.label) {
      record.conflict = { label: entry.label, keptLabel: first.label };
      conflicts.push(record);
    }
    duplicateFiles.push(record);
  };

  const duplicate = (entry: FileEntry, hash: string, first: { path: string; label: string | null }) => {
    recordDuplicate(entry, first);
    queue({ kind: 'source', entry, hash });
  };

  async function importFile(entry: FileEntry): Promise<void> {
    const known = sourceByPath.get(entry.path);
    if (known && known.size === entry.size && known.mtime_ms === entry.mtimeMs) {
      unchanged++;
      return;
    }
    if (entry.size > maxFileBytes) {
      skip(entry.path, `file too large (${(entry.size / MiB).toFixed(0)} MB; the limit is ${(maxFileBytes / MiB).toFixed(0)} MB)`);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(entry.path);
    } catch (error) {
      skip(entry.path, fileSystemReason(error));
      return;
    }
    if (bytes.length === 0) {
      skip(entry.path, 'empty file (0 bytes)');
      return;
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const earlier = firstCopies.get(hash);
    if (earlier) {
      const first = await earlier;
      if (first.ok) duplicate(entry, hash, first);
      else skip(entry.path, first.reason);
      return;
    }
    const existing = imageByHash(db, hash);
    if (existing) {
      const first = { path: existing.source_path, label: labelOf(existing.class_id) };
      firstCopies.set(hash, Promise.resolve({ ok: true, ...first }));
      if (known?.image_id === existing.id || existing.source_path === entry.path) {
        // Same file, touched or copied back: remember its new size and mtime.
        unchanged++;
        queue({ kind: 'source', entry, hash });
      } else {
        duplicate(entry, hash, first);
      }
      return;
    }
    let settle!: (first: FirstCopy) => void;
    firstCopies.set(hash, new Promise<FirstCopy>((resolve) => (settle = resolve)));
    try {
      const prepared = await prepareImage(bytes, decodeOptions);
      settle({ ok: true, path: entry.path, label: entry.label });
      queue({ kind: 'image', entry, hash, prepared });
    } catch (error) {
      const reason = error instanceof BadImageError ? error.message : `could not decode (${(error as Error).message})`;
      settle({ ok: false, reason });
      skip(entry.path, reason);
    }
  }

  const progress = (): Omit<ImportProgress, 'jobId'> => {
    const elapsedSeconds = (performance.now() - started) / 1000;
    return {
      seen,
      processed,
      imported,
      unchanged,
      duplicates: duplicateFiles.length,
      skipped: skipped.length,
      imagesPerSecond: elapsedSeconds > 0 ? Math.round(processed / elapsedSeconds) : 0,
      elapsedSeconds: Math.round(elapsedSeconds * 10) / 10,
      walkDone,
    };
  };
  const timer = options.onProgress ? setInterval(() => options.onProgress?.(progress()), options.progressIntervalMs ?? 250) : null;

  const iterator = entries[Symbol.asyncIterator]();
  async function worker(): Promise<void> {
    while (!signal?.aborted && fatal === null) {
      let next: IteratorResult<ImportEntry>;
      try {
        next = await iterator.next();
      } catch (error) {
        fatal ??= error;
        return;
      }
      if (next.done) {
        walkDone = true;
        return;
      }
      seen++;
      const entry = next.value;
      try {
        if (entry.kind === 'skip') skip(entry.path, entry.reason);
        else await importFile(entry);
      } catch (error) {
        fatal ??= error;
        return;
      }
      processed++;
    }
  }

  let report: ImportReport;
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    if (fatal !== null) throw fatal;
    // What finished decoding before a cancel is kept: it is complete, and a rerun would redo it.
    flush();
    report = db.transaction(() => {
      // Every class with a provisional split, including those of an earlier import that was killed
      // before its end, whose images this import may only have found unchanged.
      rebalanceSplits(db, provisionalStrata(db));
      const finished = buildReport();
      finishImport(db, importId, finished.cancelled ? 'cancelled' : 'completed', finished);
      return finished;
    }).immediate();
  } catch (error) {
    try {
      finishImport(db, importId, 'failed');
    } catch {
      // The database is what failed; the import stays 'running' in it.
    }
    throw error;
  } finally {
    if (timer) clearInterval(timer);
    await iterator.return?.(undefined);
    try {
      owner.release();
    } catch {
      // The database is what failed: the owner row stays, and is found gone once this process ends.
    }
  }
  options.onProgress?.(progress());
  return report;

  function buildReport(): ImportReport {
    const seconds = (performance.now() - started) / 1000;
    return {
      folder,
      workspace: options.workspace,
      importId,
      split: chosenSplit,
      imported,
      unchanged,
      duplicates: duplicateFiles.length,
      duplicateFiles,
      conflicts,
      skipped,
      links: { policy: options.csv || listed ? 'as-listed' : 'inside-folder', followed: tally.linksFollowed, outside: tally.linksOutside },
      hidden: { count: tally.hidden, examples: tally.hiddenExamples },
      classes: countsByClassName(db),
      cancelled: signal?.aborted ?? false,
      seconds: Math.round(seconds * 1000) / 1000,
      imagesPerSecond: seconds > 0 ? Math.round(imported / seconds) : 0,
    };
  }
}
