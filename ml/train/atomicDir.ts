/**
 * Publishes a folder so that readers see either the old folder or the complete new one, never a
 * half-written one, even across a crash or power cut: the content is written into a hidden temporary
 * sibling, every file is fsynced, the folder is fsynced, and one rename publishes it (rename is atomic
 * within a file system; the temporary sibling guarantees the same file system).
 */
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) cannot fsync a directory; the files themselves are synced.
    if (!['EINVAL', 'EPERM', 'EISDIR', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Writes a new file and flushes it to disk before returning. */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Lets `fill` write the folder's content into an empty temporary folder (with `writeFileDurably`, or
 * anything that syncs its own files), then publishes it as `target`. An existing `target` is replaced
 * by two renames (old aside, new in); a crash between them leaves the old version as
 * `.<name>.previous-*` beside it. Writers that must never have that window publish each version under
 * a new name (see `CheckpointStore`).
 */
export async function publishDirectory(target: string, fill: (temporary: string) => Promise<void>): Promise<void> {
  const parent = dirname(target);
  const name = basename(target);
  await mkdir(parent, { recursive: true });
  const temporary = await mkdtemp(join(parent, `.${name}.tmp-`));
  try {
    await fill(temporary);
    await syncDirectory(temporary);
    try {
      await rename(temporary, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
      const previous = await mkdtemp(join(parent, `.${name}.previous-`));
      await rename(target, join(previous, name));
      await rename(temporary, target);
      await rm(previous, { recursive: true, force: true });
    }
    await syncDirectory(parent);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new Error(`The disk is full: could not save ${target}. Free some space and save again.`, { cause: error });
    }
    throw error;
  }
}

/** `publishDirectory` for a folder of in-memory files (name → contents). */
export function writeDirectoryAtomically(target: string, files: Record<string, string | Uint8Array>): Promise<void> {
  return publishDirectory(target, async (temporary) => {
    for (const [file, data] of Object.entries(files)) await writeFileDurably(join(temporary, file), data);
  });
}
