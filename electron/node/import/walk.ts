/**
 * Lists the files of an import folder. The first folder level names the class; files directly in the
 * root are unlabelled. Symbolic links are followed only where they lead inside the imported folder
 * (datasets are often arranged with links between their own folders), so a link to /etc or to a home
 * folder is never walked or read: it is reported as skipped. Every real folder is entered once, so a
 * link back to a parent ends instead of looping forever. Hidden entries (names starting with a dot)
 * and system litter are left out unread, and counted. Anything that is not a regular file (a FIFO
 * would block a read forever) is reported, never opened.
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../common/errors.js';

export type ImportEntry =
  | { kind: 'file'; path: string; label: string | null; size: number; mtimeMs: number }
  | { kind: 'skip'; path: string; reason: string };

/** Files the operating system leaves in folders: counted with the hidden ones, not listed one by one. */
const osLitter = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db']);

export function ignoredName(name: string): boolean {
  return name.startsWith('.') || osLitter.has(name.toLowerCase());
}

export function fileSystemReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'unreadable (permission denied)';
    case 'ELOOP':
      return 'symlink loop (the link leads back to itself)';
    case 'ENOENT':
      return 'missing (a broken symlink, or the file was removed during the import)';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EIO':
      return 'read error from the disk (EIO)';
    default:
      return `unreadable (${code ?? (error as Error).message})`;
  }
}

/** Checks that the import root is a readable folder, naming it when it is not. */
export async function requireFolder(folder: string, field = 'folder'): Promise<void> {
  let info: Stats;
  try {
    info = await stat(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const link = await readlink(folder).catch(() => null);
      const message = link === null
        ? `${field}: ${folder} does not exist (check the path)`
        : `${field}: ${folder} is a symbolic link to ${path.resolve(path.dirname(folder), link)}, which does not exist`;
      throw new StudioError('not_found', message, { field, cause: error });
    }
    throw new StudioError('io_error', `${field}: cannot open ${folder}: ${fileSystemReason(error)}`, { field, cause: error });
  }
  if (!info.isDirectory()) {
    throw new StudioError('invalid_argument', `${field}: ${folder} is a file, not a folder (for a CSV of path,label use --csv)`, { field });
  }
}

/** What a walk left out or followed without listing each one: reported in the import's summary. */
export interface WalkTally {
  /** Links walked into or read: they lead inside the imported folder. */
  linksFollowed: number;
  /** Links left alone because they lead outside it (each one is also reported as skipped). */
  linksOutside: number;
  hidden: number;
  /** The first few hidden paths, so the report can show what kind they were. */
  hiddenExamples: string[];
}

export const HIDDEN_EXAMPLES = 5;

export function emptyTally(): WalkTally {
  return { linksFollowed: 0, linksOutside: 0, hidden: 0, hiddenExamples: [] };
}

function isInside(folder: string, target: string): boolean {
  const relative = path.relative(folder, target);
  return relative === '' || (!path.isAbsolute(relative) && relative !== '..' && !relative.startsWith(`..${path.sep}`));
}

interface Pending {
  dir: string;
  label: string | null;
  /** Real paths of this folder and its ancestors: meeting one again is a loop. */
  chain: string[];
}

export async function* walkFolder(
  root: string,
  options: { ignore?: readonly string[]; signal?: AbortSignal; tally?: WalkTally } = {},
): AsyncGenerator<ImportEntry> {
  const tally = options.tally ?? emptyTally();
  const ignore = new Set(options.ignore?.map((p) => path.resolve(p)));
  const visited = new Set<string>();
  const rootReal = await realpath(root);
  visited.add(rootReal);
  const stack: Pending[] = [{ dir: root, label: null, chain: [rootReal] }];
  while (stack.length > 0) {
    if (options.signal?.aborted) return;
    const { dir, label, chain } = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      yield { kind: 'skip', path: dir, reason: `folder ${fileSystemReason(error)}` };
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subfolders: Pending[] = [];
    // stat in small parallel groups: one syscall per file is most of a walk's time.
    for (let start = 0; start < entries.length; start += 64) {
      const group = entries.slice(start, start + 64).filter((entry) => {
        if (!ignoredName(entry.name)) return true;
        tally.hidden++;
        if (tally.hiddenExamples.length < HIDDEN_EXAMPLES) tally.hiddenExamples.push(path.join(dir, entry.name));
        return false;
      });
      const stats = await Promise.all(
        group.map(async (entry) => {
          const full = path.join(dir, entry.name);
          try {
            const info = await stat(full);
            // Where a link leads decides whether it is followed; a plain entry is inside by construction.
            const target = entry.isSymbolicLink() ? await realpath(full) : null;
            return { entry, full, info, target };
          } catch (error) {
            return { entry, full, error };
          }
        }),
      );
      for (const { entry, full, info, target, error } of stats) {
        if (ignore.has(path.resolve(full))) continue;
        const childLabel = label ?? (dir === root ? entry.name.normalize('NFC') : null);
        if (!info) {
          yield { kind: 'skip', path: full, reason: fileSystemReason(error) };
          continue;
        }
        if (target && !isInside(rootReal, target)) {
          tally.linksOutside++;
          yield { kind: 'skip', path: full, reason: `symbolic link to ${target}, outside the imported folder: not followed` };
          continue;
        }
        const followed = () => {
          if (target) tally.linksFollowed++;
        };
        if (info.isDirectory()) {
          const real = await realpath(full).catch(() => full);
          if (chain.includes(real)) {
            yield { kind: 'skip', path: full, reason: `symlink loop (the link leads back to ${real})` };
          } else if (visited.has(real)) {
            yield { kind: 'skip', path: full, reason: `folder already imported through another link (${real})` };
          } else {
            visited.add(real);
            followed();
            subfolders.push({ dir: full, label: childLabel, chain: [...chain, real] });
          }
        } else if (info.isFile()) {
          followed();
          yield { kind: 'file', path: full, label: dir === root ? null : label, size: info.size, mtimeMs: Math.trunc(info.mtimeMs) };
        } else {
          yield { kind: 'skip', path: full, reason: 'not a regular file (a device, socket or pipe)' };
        }
      }
    }
    // Reversed so the stack pops them in name order.
    stack.push(...subfolders.reverse());
  }
}
