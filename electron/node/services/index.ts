/** The composition root for services: one place builds every handler the contract names. */
import type { Handlers } from '../rpc/dispatch.js';
import { appHandlers } from './app.js';
import { doctorHandlers } from './doctor.js';
import { workspaceHandlers } from './workspace.js';
import { datasetHandlers } from './dataset.js';
import { runHandlers, RunServices } from './runs.js';
import { tryHandlers } from './tryModel.js';
import type { ServiceContext } from './context.js';

export type { ServiceContext } from './context.js';

export function createHandlers(ctx: ServiceContext): Handlers {
  // One run manager and inference worker per workspace, shared by the runs and the Try view.
  const runs = new RunServices(ctx);
  return {
    ...appHandlers(ctx),
    ...doctorHandlers(ctx),
    ...workspaceHandlers(ctx),
    ...datasetHandlers(ctx),
    ...runHandlers(ctx, runs),
    ...tryHandlers(ctx, runs),
  };
}
