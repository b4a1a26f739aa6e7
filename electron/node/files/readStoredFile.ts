/**
 * Reads a file whose path the studio stored earlier (an image's source) without trusting what that
 * path is now. Since the import it may have become a FIFO, a device or a socket, or sit on a mount
 * that stopped answering. Opening a FIFO for reading blocks until a writer appears, inside one of
 * libuv's four file-system threads; four such reads stall every file operation of the process (the
 * server's static files, thumbnails) and even its exit, which waits for those threads.
 *
 * So: open without blocking, accept only a regular file, read at most `maxBytes`, give up after
 * `timeoutMs`, and run at most two such reads at once, so that reads that never return (a hung
 * network mount: no deadline can interrupt a system call) still leave threads for everything else.
 */
import { constants, promises as fs } from 'node:fs';

export interface ReadLimits {
  /** Larger files are refused (the import's own limit is 512 MiB). */
  maxBytes: number;
  /** The whole read, including waiting for a free slot. */
  timeoutMs: number;
}

export const MiB = 1024 * 1024;

/** A stored path that is no longer a file the studio can read; the message is the reason. */
export class UnreadableFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(0)} MB` : `${bytes} bytes`);
const duration = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(0)} s` : `${ms} ms`);

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** O_NONBLOCK: a FIFO opens at once instead of waiting for a writer; O_NOCTTY: a terminal never becomes ours. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Limits how many calls of `run` are in flight. A slot is given back when the work itself settles,
 * not when its caller stops waiting, so abandoned work still counts.
 */
export function concurrencyLimit(slots: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    running--;
    queue.shift()?.();
  };
  return async <T>(run: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await run();
    } finally {
      release();
    }
  };
}

/** `work`'s result, or an UnreadableFileError once it takes longer than `ms`; `work` can ask whether that happened, to stop early. */
export async function withDeadline<T>(work: (expired: () => boolean) => Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new UnreadableFileError(`${what} did not answer within ${duration(ms)}`));
    }, ms);
  });
  const running = work(() => expired);
  running.catch(() => {}); // settles after the deadline: nobody waits for it any more
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const storedFileReads = concurrencyLimit(2);

async function readChecked(file: string, maxBytes: number, expired: () => boolean): Promise<Buffer> {
  if (expired()) throw new UnreadableFileError('gave up before reading');
  const handle = await fs.open(file, OPEN_FLAGS);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new UnreadableFileError(`is ${kindOf(stat)} now, not an image file`);
    if (stat.size > maxBytes) throw new UnreadableFileError(`is ${size(stat.size)}, over the ${size(maxBytes)} limit`);
    // The size can change under us: read until the end, but never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      if (expired()) throw new UnreadableFileError('gave up part-way');
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stat.size - total, 64 * 1024), maxBytes + 1 - total, 8 * MiB));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new UnreadableFileError(`grew over the ${size(maxBytes)} limit while being read`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * The bytes of a regular file at `file`. File-system errors (ENOENT, EACCES...) pass through as they
 * are; a path that is no longer a regular file, too large, or too slow is an UnreadableFileError.
 */
export function readStoredFile(file: string, limits: ReadLimits): Promise<Buffer> {
  return withDeadline((expired) => storedFileReads(() => readChecked(file, limits.maxBytes, expired)), limits.timeoutMs, 'the file');
}
