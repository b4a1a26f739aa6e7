/**
 * Starts the studio in browser mode the way a user does (`attention-studio serve`, built output),
 * on a fresh workspace, and hands the printed URL to the test.
 */
import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export interface Studio {
  url: string;
  port: number;
  workspace: string;
}

/** `cli` is the command line to start: this checkout's by default, or a packaged app's. */
export async function startStudio(workspace: string, cli = 'bin/attention-studio.js'): Promise<{ studio: Studio; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, 'serve', '--json', '--workspace', workspace], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Recent-workspace lists and other per-user files go to the test's own folder.
    env: { ...process.env, ATTENTION_STUDIO_HOME: path.join(workspace, '.home') },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const printed = JSON.parse(firstLine) as { url: string; port: number };
  return { studio: { url: printed.url, port: printed.port, workspace }, child };
}

export const test = base.extend<{ studio: Studio }>({
  // eslint-disable-next-line no-empty-pattern
  studio: async ({}, use) => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'studio-e2e-'));
    const { studio, child } = await startStudio(workspace);
    try {
      await use(studio);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(workspace, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';

export function screenshotPath(name: string): string {
  return path.join('e2e', 'screenshots', `${name}.png`);
}
