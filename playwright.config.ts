import { defineConfig } from '@playwright/test';
import { softwareGpuEnvironment } from './test/softwareGpu.js';

// The studios the tests start (`serve`) see SwiftShader as their GPU where there is no real one.
Object.assign(process.env, softwareGpuEnvironment() ?? {});

// Debian's Chromium, never a downloaded browser. The network-quieting flags keep it from
// hammering a closed network with background requests.
export default defineConfig({
  testDir: 'e2e',
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    headless: true,
    viewport: { width: 1280, height: 840 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'off',
  },
});
