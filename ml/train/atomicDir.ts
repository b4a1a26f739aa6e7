/**
 * Writes a folder of files so that readers see either the old folder or the complete new one, never a
 * half-written one, even across a crash or power cut: files go into a hidden temporary sibling, each
 * is fsynced, the folder is fsynced, and one rename publishes it (rename is atomic within a file
 * system; the temporary sibling guarantees the same file system).
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

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Publishes `files` (name → contents) as the folder `target`. An existing `target` is replaced by two
 * renames (old aside, new in); a crash between them leaves the old version as `.<name>.previous-*`
 * beside it. Writers that must never have that window write each version to a new name
 * (see `CheckpointStore`).
 */
export async function writeDirectoryAtomically(target: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const parent = dirname(target);
  const name = basename(target);
  await mkdir(parent, { recursive: true });
  const temporary = await mkdtemp(join(parent, `.${name}.tmp-`));
  try {
    for (const [file, data] of Object.entries(files)) await writeSynced(join(temporary, file), data);
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
