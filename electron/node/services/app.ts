import os from 'node:os';
import type { AppInfo } from '../../common/contract/index.js';
import { chooseBackend } from '../../../ml/engine/backends.js';
import { packageVersion } from '../paths.js';
import { cachedBackendProbes, candidateProbes } from '../training/backendChoice.js';
import type { ServiceContext } from './context.js';

export async function appInfo(ctx: ServiceContext, probe = true): Promise<AppInfo> {
  const probes = probe ? await cachedBackendProbes() : [];
  const choice = probe ? chooseBackend(candidateProbes(probes), { forced: ctx.forcedBackend }) : { name: null, reason: 'backends not probed' };
  return {
    name: 'Attention Studio',
    version: packageVersion(),
    node: process.versions.node,
    electron: ctx.electronVersion ?? process.versions.electron ?? null,
    platform: process.platform,
    arch: process.arch,
    cpus: os.availableParallelism(),
    mode: ctx.mode,
    workspace: ctx.workspace,
    backends: probes,
    selectedBackend: choice.name,
    selectionReason: choice.reason,
  };
}

export function appHandlers(ctx: ServiceContext) {
  return {
    info: (args: { probeBackends?: boolean | undefined }) => appInfo(ctx, args.probeBackends ?? true),
  };
}
