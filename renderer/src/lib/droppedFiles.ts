/**
 * What a drop onto the page holds. The desktop window knows where each dropped file or folder lives
 * (the preload's path bridge); a browser page never does, but Chromium lets it read a dropped
 * folder's files through the File System entries of the drop, which are uploaded instead.
 */
import { droppedPath } from './api.js';

export type Dropped = { kind: 'paths'; paths: string[] } | { kind: 'files'; files: File[] };

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every file under a dropped entry, in name order; hidden ones (names starting with a dot) left out, as imports do. */
async function filesUnder(entry: FileSystemEntry): Promise<File[]> {
  if (entry.isFile) return [await fileOf(entry as FileSystemFileEntry)];
  if (!entry.isDirectory) return [];
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries answers in batches (about 100 at a time) until an empty one.
  for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) children.push(...batch);
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: File[] = [];
  for (const child of children) if (!child.name.startsWith('.')) files.push(...(await filesUnder(child)));
  return files;
}

/**
 * Reads a drop. Must be called in the drop event itself: the browser empties the DataTransfer as soon
 * as the handler returns, so its entries are taken synchronously and walked afterwards.
 */
export function readDrop(transfer: DataTransfer): Promise<Dropped> {
  const files = [...transfer.files];
  const paths = files.map(droppedPath);
  if (files.length > 0 && paths.every((p) => p !== '')) return Promise.resolve({ kind: 'paths', paths });
  const entries = [...transfer.items].filter((item) => item.kind === 'file').map((item) => item.webkitGetAsEntry?.() ?? null);
  return (async () => {
    const found: File[] = [];
    for (const [i, file] of files.entries()) {
      const entry = entries[i];
      found.push(...(entry ? await filesUnder(entry) : [file]));
    }
    return { kind: 'files', files: found };
  })();
}

/**
 * Files picked in a file input: by path in the desktop window (no size limit), as uploads in a browser.
 * A folder picked in a browser lists hidden files too: `skipHidden` leaves them out, as imports do.
 */
export function readPicked(list: FileList | null, skipHidden = false): Dropped {
  const hidden = (file: File) => (file.webkitRelativePath || file.name).split('/').some((part) => part.startsWith('.'));
  const files = [...(list ?? [])].filter((file) => !(skipHidden && hidden(file)));
  const paths = files.map(droppedPath);
  return files.length > 0 && paths.every((p) => p !== '') ? { kind: 'paths', paths } : { kind: 'files', files };
}
