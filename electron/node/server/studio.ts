/** Browser mode wired up: services, dispatcher and the local server, as `serve` and `npm start` use it. */
import type { BackendName } from '../../../ml/engine/backends.js';
import { EventHub } from '../events.js';
import { rendererDist } from '../paths.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers } from '../services/index.js';
import { prepareWorkspaceFolder, rememberWorkspace } from '../services/workspace.js';
import { startBrowserServer, type BrowserServer } from './browserServer.js';

export interface StudioServerOptions {
  workspace: string | null;
  port?: number;
  token?: string;
  forcedBackend?: BackendName;
}

export async function startStudioServer(options: StudioServerOptions): Promise<BrowserServer> {
  const events = new EventHub();
  const workspace = options.workspace === null ? null : prepareWorkspaceFolder(options.workspace, true);
  if (workspace) await rememberWorkspace(workspace);
  const handlers = createHandlers({ mode: 'browser', workspace, events, ...(options.forcedBackend ? { forcedBackend: options.forcedBackend } : {}) });
  return startBrowserServer({
    dispatch: createDispatcher(handlers),
    events,
    staticDir: rendererDist(),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
}
