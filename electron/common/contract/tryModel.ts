/**
 * Trying a trained run on new images: files or folders on the machine running the studio (typed, picked
 * or dropped in the desktop window) or uploaded bytes (browser mode), their predictions in batches,
 * one image's attention masks over it, and adding a tried image to the dataset as an import.
 */
import { z } from 'zod';
import { classNameSchema, type LabelState, type SkippedFile } from './dataset.js';
import { method } from './define.js';
import type { ModuleMask } from './runs.js';
import { base64Size, isBase64, MAX_TRY_BATCH, MAX_UPLOAD_BATCH_BYTES, MAX_UPLOAD_BYTES, megabytes } from './tryLimits.js';

export * from './tryLimits.js';

const runId = z.number().int().positive();

const filePath = z
  .string()
  .min(1, 'give the path of an image file or a folder')
  .max(4096)
  .refine((p) => !p.includes('\0'), { message: 'a path cannot contain a NUL character' });

const uploadName = z
  .string()
  .trim()
  .min(1, 'an uploaded file needs its name')
  .max(255)
  .refine((name) => !/[/\\\0]/.test(name), { message: 'a file name, not a path (no / or \\)' });

/** An image file on the machine running the studio. */
const pathImage = z.strictObject({ kind: z.literal('path'), path: filePath });

/** An image's bytes, sent over the contract (browser mode cannot know where a picked file lives). */
const uploadImage = z
  .strictObject({ kind: z.literal('upload'), name: uploadName, data: z.string() })
  .superRefine((upload, ctx) => {
    const size = base64Size(upload.data);
    if (size > MAX_UPLOAD_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `${upload.name} is ${megabytes(size)}, over the ${megabytes(MAX_UPLOAD_BYTES)} limit for an upload: type its path instead`,
      });
    } else if (!isBase64(upload.data)) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `${upload.name}: the upload is not base64-encoded bytes` });
    }
  });

export const tryImageSchema = z.discriminatedUnion('kind', [pathImage, uploadImage]);
export type TryImage = z.input<typeof tryImageSchema>;

const tryBatch = z
  .array(tryImageSchema)
  .min(1, 'give at least one image')
  .max(MAX_TRY_BATCH, `at most ${MAX_TRY_BATCH} images per request: send a folder in batches`)
  .superRefine((images, ctx) => {
    const total = images.reduce((sum, image) => sum + (image.kind === 'upload' ? base64Size(image.data) : 0), 0);
    if (total > MAX_UPLOAD_BATCH_BYTES && images.filter((image) => image.kind === 'upload').length > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `the uploads add up to ${megabytes(total)}, over ${megabytes(MAX_UPLOAD_BATCH_BYTES)} per request: send fewer at once`,
      });
    }
  });

/** A file found under the given paths, to try. */
export interface TryFile {
  path: string;
  name: string;
  bytes: number;
}

export interface TryImageList {
  files: TryFile[];
  /** Paths that are not there, not readable, or not followed (a link leading out of its folder). */
  skipped: SkippedFile[];
  /** Hidden files and system files left out unread. */
  hidden: number;
  /** More than MAX_TRY_FILES files: the listing stopped there. */
  truncated: boolean;
}

/** An image of the dataset with the same content as a tried one. */
export interface DatasetImageRef {
  imageId: number;
  fileName: string;
  sourcePath: string;
  className: string | null;
  state: LabelState;
}

export interface TryThumbnail {
  mime: string;
  width: number;
  height: number;
  base64: string;
}

export type TryResult =
  | {
      ok: true;
      /** The file's name. */
      name: string;
      /** Where it is on the studio's machine; null for an upload. */
      path: string | null;
      /** After EXIF orientation. */
      width: number;
      height: number;
      format: string;
      thumbnail: TryThumbnail;
      /** One per class of the run, in the run's class order. */
      probabilities: number[];
      predicted: number;
      /** The same picture is already in the dataset. */
      inDataset: DatasetImageRef | null;
    }
  | { ok: false; name: string; path: string | null; error: string };

export interface TryPredictions {
  runId: number;
  classNames: string[];
  /** One per image sent, in the same order. */
  results: TryResult[];
}

export interface TryMasks {
  runId: number;
  predicted: number;
  probabilities: number[];
  /** The image at most TRY_PREVIEW_SIDE on its longer side, EXIF orientation applied. */
  preview: TryThumbnail;
  /** Each attention module's mask at the preview's size. */
  masks: ModuleMask[];
}

export interface TryAdded {
  /** 'duplicate': the same picture was already in the dataset; nothing was imported. */
  outcome: 'added' | 'duplicate';
  /** The import that brought the image in (excludeImport undoes it); null for a duplicate. */
  importId: number | null;
  image: DatasetImageRef;
  /** What happened, in a sentence. */
  message: string;
}

export const tryMethods = {
  listImagesToTry: method<TryImageList>()(
    z.strictObject({ paths: z.array(filePath).min(1, 'give at least one path').max(1000) }),
    'The image files under paths on the machine running the studio (files as given, folders walked), to try in batches.',
  ),
  tryImages: method<TryPredictions>()(
    z.strictObject({ runId, images: tryBatch }),
    "Predicts a batch of files or uploads with the run's latest checkpoint; a file that cannot be read or decoded gets its error, named.",
  ),
  tryImageMasks: method<TryMasks>()(
    z.strictObject({ runId, image: tryImageSchema }),
    "One tried image as a picture with each attention module's mask over it, and the run's probabilities.",
  ),
  addTriedImage: method<TryAdded>()(
    z.strictObject({
      image: tryImageSchema,
      /** The class to put it in (created when missing), or null for unlabelled. */
      label: classNameSchema.nullable(),
    }),
    'Imports one tried image into the dataset (an upload is kept in the workspace folder), recorded as an import; a picture already there is a duplicate.',
  ),
};
