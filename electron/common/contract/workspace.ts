import { z } from 'zod';
import { method } from './define.js';

export interface WorkspaceInfo {
  /** Absolute folder path. */
  path: string;
  /** The folder's name, for titles and lists. */
  name: string;
}

export interface RecentWorkspace extends WorkspaceInfo {
  lastOpened: string;
  /** False when the folder has since been moved or deleted. */
  exists: boolean;
}

export const workspaceMethods = {
  currentWorkspace: method<WorkspaceInfo | null>()(z.strictObject({}), 'The workspace the studio has open, if any.'),
  openWorkspace: method<WorkspaceInfo>()(
    z.strictObject({
      path: z.string().trim().min(1, 'a folder path is required').max(4096),
      /** Create the folder when it does not exist (a new project). */
      create: z.boolean().default(false),
    }),
    'Opens (or creates) a studio project folder and remembers it among the recent ones.',
  ),
  recentWorkspaces: method<RecentWorkspace[]>()(z.strictObject({}), 'Recently opened workspaces, newest first.'),
};
