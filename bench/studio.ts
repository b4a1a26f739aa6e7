/**
 * What the browser-driven benchmarks share: a studio served from the built output (`npm run build`
 * first) on a workspace, and Debian's Chromium driven by Playwright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { chromium, type Browser } from '@playwright/test';

export async function serveStudio(workspace: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/attention-studio.js', 'serve', '--json', '--workspace', workspace], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ATTENTION_STUDIO_HOME: path.join(workspace, '.home') },
  });
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} (run \`npm run build\` first)`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, child };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

export function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  return sorted[low]! + (sorted[Math.min(sorted.length - 1, low + 1)]! - sorted[low]!) * (position - low);
}
