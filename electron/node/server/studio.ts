/** Browser mode wired up: services, dispatcher and the local server, as `serve` and `npm start` use it. */
import type { BackendName } from '../../../ml/engine/backends.js';
import { EventHub } from '../events.js';
import { rendererDist } from '../paths.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers, RunServices } from '../services/index.js';
import { stopAllMlWorkers } from '../training/workerHost.js';
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
  const ctx = { mode: 'browser' as const, workspace, events, ...(options.forcedBackend ? { forcedBackend: options.forcedBackend } : {}) };
  const runs = new RunServices(ctx);
  const handlers = createHandlers(ctx, runs);
  const server = await startBrowserServer({
    dispatch: createDispatcher(handlers),
    events,
    staticDir: rendererDist(),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  return {
    ...server,
    // Runs and jobs are left resumable and every ML worker leaves between two operations (a worker
    // cut off inside a WebGPU call would take the process down), before the process exits.
    close: async () => {
      await server.close();
      await Promise.all([runs.close(), stopAllMlWorkers()]);
    },
  };
}
