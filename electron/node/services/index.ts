/** The composition root for services: one place builds every handler the contract names. */
import type { Handlers } from '../rpc/dispatch.js';
import { appHandlers } from './app.js';
import { doctorHandlers } from './doctor.js';
import { workspaceHandlers } from './workspace.js';
import { datasetHandlers } from './dataset.js';
import { runHandlers, RunServices } from './runs.js';
import { tryHandlers } from './tryModel.js';
import { labellingHandlers } from './labelling.js';
import type { ServiceContext } from './context.js';

export type { ServiceContext } from './context.js';
export { RunServices } from './runs.js';

/** `runs`: one run manager, inference worker and label-issue jobs per workspace, shared by the runs, Try and labelling services. */
export function createHandlers(ctx: ServiceContext, runs = new RunServices(ctx)): Handlers {
  return {
    ...appHandlers(ctx),
    ...doctorHandlers(ctx),
    ...workspaceHandlers(ctx),
    ...datasetHandlers(ctx),
    ...runHandlers(ctx, runs),
    ...tryHandlers(ctx, runs),
    ...labellingHandlers(ctx, runs),
  };
}
