/**
 * The Try view's service: lists the image files under typed or dropped paths, predicts batches of
 * files or uploads and one image's masks in the inference worker, and adds a tried image to the
 * dataset through the importer, as an import of its own (so excludeImport undoes it).
 */
import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SkippedFile } from '../../common/contract/dataset.js';
import {
  MAX_TRY_FILES,
  TRY_PREVIEW_SIDE,
  type DatasetImageRef,
  type TryAdded,
  type TryFile,
  type TryImage,
  type TryImageList,
  type TryMasks,
  type TryPredictions,
} from '../../common/contract/tryModel.js';
import { StudioError } from '../../common/errors.js';
import { MiB, readStoredFile, UnreadableFileError } from '../files/readStoredFile.js';
import { BadImageError, prepareImage } from '../import/decode.js';
import { importImages } from '../import/importer.js';
import { emptyTally, fileSystemReason, walkFolder } from '../import/walk.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { getImage, imageByHash } from '../storage/images.js';
import type { TryInput } from '../training/protocol.js';
import type { ServiceContext } from './context.js';
import type { RunServices } from './runs.js';

/** Uploads added to the dataset are kept here, inside the workspace folder, one folder per content hash. */
export const ADDED_IMAGES_FOLDER = 'added-images';

function readReason(error: unknown): string {
  if (error instanceof UnreadableFileError) return error.message;
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'does not exist (check the path)';
  return fileSystemReason(error);
}

/** Files as given, folders walked the way an import walks them (links only inside, hidden files left out). */
export async function listImagesToTry(paths: string[], workspace: string | null, limit = MAX_TRY_FILES): Promise<TryImageList> {
  const files: TryFile[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  const tally = emptyTally();
  let truncated = false;
  const add = (file: string, bytes: number) => {
    if (seen.has(file)) return;
    if (files.length >= limit) {
      truncated = true;
      return;
    }
    seen.add(file);
    files.push({ path: file, name: path.basename(file), bytes });
  };
  for (const full of new Set(paths.map((given) => path.resolve(given)))) {
    if (truncated) break;
    let info;
    try {
      info = await stat(full);
    } catch (error) {
      skipped.push({ path: full, reason: readReason(error) });
      continue;
    }
    if (info.isFile()) {
      add(full, info.size);
    } else if (info.isDirectory()) {
      for await (const entry of walkFolder(full, { ignore: workspace ? [workspace] : [], tally })) {
        if (entry.kind === 'file') add(entry.path, entry.size);
        else skipped.push({ path: entry.path, reason: entry.reason });
        if (truncated) break;
      }
    } else {
      skipped.push({ path: full, reason: 'not a regular file (a device, socket or pipe)' });
    }
  }
  return { files, skipped, hidden: tally.hidden, truncated };
}

function nameOf(image: TryImage): string {
  return image.kind === 'upload' ? image.name : path.basename(path.resolve(image.path));
}

function toInput(image: TryImage): TryInput {
  return image.kind === 'upload' ? { name: image.name, bytes: Buffer.from(image.data, 'base64') } : { name: nameOf(image), path: path.resolve(image.path) };
}

function datasetRef(db: Db, imageId: number): DatasetImageRef {
  const image = getImage(db, imageId);
  return { imageId, fileName: image.fileName, sourcePath: image.sourcePath, className: image.className, state: image.state };
}

/** A name an upload can be stored under on any file system. */
export function storedName(name: string): string {
  const cleaned = name
    .replace(/[<>:"/\\|?*\p{Cc}]/gu, '_')
    .replace(/[. ]+$/, '')
    .slice(0, 200);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'image' : cleaned;
}

function describeClass(ref: DatasetImageRef): string {
  const where = ref.className === null ? 'unlabelled' : `class ${ref.className}`;
  return ref.state === 'excluded' ? `${where}, excluded` : where;
}

async function imageBytes(image: TryImage): Promise<Buffer> {
  if (image.kind === 'upload') return Buffer.from(image.data, 'base64');
  const file = path.resolve(image.path);
  try {
    return await readStoredFile(file, { maxBytes: 512 * MiB, timeoutMs: 30_000 });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StudioError(missing ? 'not_found' : 'io_error', `${nameOf(image)}: ${readReason(error)}`, { field: 'image.path' });
  }
}

export function tryHandlers(ctx: ServiceContext, runs: RunServices) {
  const changed = () => ctx.events.emit('dataset.changed', { reason: 'import' });

  async function addTriedImage(image: TryImage, label: string | null): Promise<TryAdded> {
    const { db } = runs.current();
    const workspace = ctx.workspace!;
    const name = nameOf(image);
    const bytes = await imageBytes(image);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const duplicate = (imageId: number): TryAdded => {
      const ref = datasetRef(db, imageId);
      return {
        outcome: 'duplicate',
        importId: null,
        image: ref,
        message: `${name} is already in the dataset: the same picture as ${ref.sourcePath} (${describeClass(ref)}). Nothing was added.`,
      };
    };
    const existing = imageByHash(db, hash);
    if (existing) return duplicate(existing.id);
    // Refused before anything is written: an upload that is not an image never reaches the workspace folder.
    try {
      await prepareImage(bytes);
    } catch (error) {
      const reason = error instanceof BadImageError ? error.message : `could not decode (${(error as Error).message})`;
      throw new StudioError('invalid_argument', `${name}: ${reason}`, { field: image.kind === 'upload' ? 'image.data' : 'image.path' });
    }
    let file: string;
    if (image.kind === 'upload') {
      const folder = path.join(workspace, ADDED_IMAGES_FOLDER, hash.slice(0, 16));
      file = path.join(folder, storedName(image.name));
      try {
        await mkdir(folder, { recursive: true });
        await writeFile(file, bytes);
      } catch (error) {
        throw new StudioError('io_error', `Cannot keep ${name} in the workspace folder ${workspace}: ${fileSystemReason(error)}`, { cause: error });
      }
    } else {
      file = path.resolve(image.path);
    }
    const connection = openWorkspaceDb(workspace);
    let report;
    try {
      report = await importImages(connection, { folder: path.dirname(file), files: [{ path: file, label }], workspace });
    } finally {
      connection.close();
    }
    changed();
    const skip = report.skipped[0];
    if (skip) throw new StudioError('invalid_argument', `${name}: ${skip.reason}`, { field: 'image' });
    const imported = imageByHash(db, hash);
    if (!imported) throw new StudioError('internal', `${name} was imported (import #${report.importId}) but its image cannot be found`);
    if (report.imported === 0) return duplicate(imported.id);
    const ref = datasetRef(db, imported.id);
    return {
      outcome: 'added',
      importId: report.importId,
      image: ref,
      message: `Added ${name} to the dataset (${describeClass(ref)}) as import #${report.importId}.`,
    };
  }

  return {
    listImagesToTry: ({ paths }: { paths: string[] }) => listImagesToTry(paths, ctx.workspace),
    tryImages: async ({ runId, images }: { runId: number; images: TryImage[] }): Promise<TryPredictions> => {
      const { manager, inference, db } = runs.current();
      const run = manager.get(runId);
      const tried = await inference.tryImages(runId, images.map(toInput));
      return {
        runId,
        classNames: run.classNames,
        results: tried.map((result) => {
          if (!result.ok) return result;
          const { contentHash, ...rest } = result;
          const existing = imageByHash(db, contentHash);
          return { ...rest, inDataset: existing ? datasetRef(db, existing.id) : null };
        }),
      };
    },
    tryImageMasks: async ({ runId, image }: { runId: number; image: TryImage }): Promise<TryMasks> => {
      const { manager, inference } = runs.current();
      manager.get(runId);
      return { runId, ...(await inference.tryMasks(runId, toInput(image), TRY_PREVIEW_SIDE)) };
    },
    addTriedImage: ({ image, label }: { image: TryImage; label: string | null }) => addTriedImage(image, label),
  };
}
