/**
 * The packaged app's configuration as electron-builder itself reads and validates it (its own loader
 * and schema), so a misspelt fuse fails here rather than being ignored at `npm run dist`.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../node/paths.js';

interface BuilderConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, debugLogger: unknown): Promise<void>;
}

// electron-builder's loader lives in app-builder-lib, which electron-builder installs with itself.
const require = createRequire(import.meta.url);
const builderConfig = require('app-builder-lib/out/util/config/config') as BuilderConfigModule;
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

let config: Record<string, unknown>;

beforeAll(async () => {
  config = await builderConfig.getConfig(packageRoot(), null, null);
});

describe('electron-builder configuration', () => {
  it('passes electron-builder’s schema', async () => {
    await expect(builderConfig.validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('would reject a misspelt fuse (the schema check bites)', async () => {
    const misspelt = { ...config, electronFuses: { ...(config.electronFuses as object), runAsnode: false } };
    await expect(builderConfig.validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });

  it('flips the fuses: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect; encrypted cookies; the app only from a checked asar', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });
});
