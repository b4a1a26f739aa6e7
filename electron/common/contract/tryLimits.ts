/**
 * The Try view's limits and upload helpers, without zod: the renderer checks a file against the same
 * numbers before it sends anything, and the contract checks them again on arrival.
 */
const MiB = 1024 * 1024;

/** One uploaded file at most; a larger one is tried by its path. */
export const MAX_UPLOAD_BYTES = 10 * MiB;
/**
 * Uploads in one request together: as base64 (4/3 of the bytes) they stay under the browser-mode
 * transport's 16 MiB message limit.
 */
export const MAX_UPLOAD_BATCH_BYTES = 10 * MiB;
/** Images in one tryImages request: a folder is sent in batches of at most this many. */
export const MAX_TRY_BATCH = 64;
/** A folder listing stops after this many files (the rest is reported as left out). */
export const MAX_TRY_FILES = 10_000;
/** The longest side of the picture tryImageMasks returns, and of its masks. */
export const TRY_PREVIEW_SIDE = 512;

/** Bytes a base64 string decodes to. */
export function base64Size(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((base64.length * 3) / 4) - padding);
}

/** "10 MB", "10.2 MB". */
export function megabytes(bytes: number): string {
  const mb = bytes / MiB;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;

/**
 * Standard base64 with padding. A loop-free regular expression over the characters (a pattern of
 * repeated 4-character groups overflows V8's regexp stack on a few megabytes).
 */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const body = text.endsWith('==') ? text.slice(0, -2) : text.endsWith('=') ? text.slice(0, -1) : text;
  return BASE64_CHARS.test(body);
}
