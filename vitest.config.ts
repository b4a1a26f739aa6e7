import { defineConfig } from 'vitest/config';
import { softwareGpuEnvironment } from './test/softwareGpu.js';

// The WebGPU tests run on SwiftShader where no GPU is present (see test/softwareGpu.ts); the variables
// must be in place before the workers start.
Object.assign(process.env, softwareGpuEnvironment() ?? {});

export default defineConfig({
  test: {
    include: ['electron/**/*.test.ts', 'ml/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules', 'dist', 'e2e'],
    environment: 'node',
    pool: 'forks',
    // Two cores: one test file at a time per core keeps tfjs tests from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
