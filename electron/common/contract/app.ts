import { z } from 'zod';
import { method } from './define.js';

export const backendNames = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

export interface BackendReport {
  name: BackendName;
  /** The package that provides it. */
  package: string;
  available: boolean;
  /** Why it is available (what was found) or why not (what is missing, what to install). */
  reason: string;
}

export interface AppInfo {
  name: string;
  version: string;
  node: string;
  electron: string | null;
  platform: string;
  arch: string;
  cpus: number;
  mode: 'electron' | 'browser' | 'cli';
  workspace: string | null;
  backends: BackendReport[];
  selectedBackend: BackendName | null;
  /** Why the selected backend was chosen over the others. */
  selectionReason: string;
}

export const appMethods = {
  info: method<AppInfo>()(
    z.strictObject({ probeBackends: z.boolean().optional() }),
    'Versions, platform, and which tfjs backends load here and which one training would use.',
  ),
};
