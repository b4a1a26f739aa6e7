/** Opening studio project folders, and the list of recent ones (a small JSON file in the user's data folder). */
import { existsSync, mkdirSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import type { RecentWorkspace, WorkspaceInfo } from '../../common/contract/index.js';
import { StudioError } from '../../common/errors.js';
import { userDataDir } from '../workspace.js';
import type { ServiceContext } from './context.js';

const MAX_RECENT = 12;

function recentFile(): string {
  return path.join(userDataDir(), 'recent-workspaces.json');
}

function describe(folder: string): WorkspaceInfo {
  return { path: folder, name: path.basename(folder) || folder };
}

async function readRecent(): Promise<{ path: string; lastOpened: string }[]> {
  try {
    const parsed = JSON.parse(await fs.readFile(recentFile(), 'utf8')) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((e): e is { path: string; lastOpened: string } => typeof e?.path === 'string' && typeof e?.lastOpened === 'string');
  } catch {
    return []; // missing or damaged: start a new list rather than refuse to open anything
  }
}

/** Writes the list atomically: a crash leaves the old file or the new one, never half of one. */
async function writeRecent(entries: { path: string; lastOpened: string }[]): Promise<void> {
  const file = recentFile();
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, JSON.stringify(entries, null, 2));
  await fs.rename(temp, file);
}

export async function rememberWorkspace(folder: string): Promise<void> {
  const entries = (await readRecent()).filter((e) => e.path !== folder);
  entries.unshift({ path: folder, lastOpened: new Date().toISOString() });
  await writeRecent(entries.slice(0, MAX_RECENT));
}

/** Checks the folder is usable as a workspace, creating it when asked; returns its absolute path. */
export function prepareWorkspaceFolder(given: string, create: boolean): string {
  const folder = path.resolve(given);
  if (!existsSync(folder)) {
    if (!create) throw new StudioError('not_found', `Workspace folder ${folder} does not exist`, { field: 'path' });
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw new StudioError('io_error', `Cannot create workspace folder ${folder}: ${(error as Error).message}`, { field: 'path' });
    }
  } else if (!statSync(folder).isDirectory()) {
    throw new StudioError('invalid_argument', `${folder} is a file, not a folder`, { field: 'path' });
  }
  return folder;
}

export function workspaceHandlers(ctx: ServiceContext) {
  return {
    currentWorkspace: () => (ctx.workspace ? describe(ctx.workspace) : null),
    openWorkspace: async (args: { path: string; create: boolean }) => {
      const folder = prepareWorkspaceFolder(args.path, args.create);
      ctx.workspace = folder;
      await rememberWorkspace(folder);
      ctx.events.emit('workspace.changed', describe(folder));
      return describe(folder);
    },
    recentWorkspaces: async (): Promise<RecentWorkspace[]> =>
      (await readRecent()).map((e) => ({ ...describe(e.path), lastOpened: e.lastOpened, exists: existsSync(e.path) })),
  };
}
