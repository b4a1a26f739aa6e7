/** Steps the training and inspect tests share: CIFAR-10 mini in a workspace, and a short lite-16 run. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect } from './fixtures.js';

export const cifarMini = path.resolve('..', 'shared', 'datasets', 'cifar10-mini');

function cli(args: string[], workspace: string): string {
  return execFileSync(process.execPath, ['bin/attention-studio.js', ...args, '--workspace', workspace, '--json'], {
    env: { ...process.env, ATTENTION_STUDIO_HOME: path.join(workspace, '.home') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Imports CIFAR-10 mini (1,000 images, 10 classes) the way a user would from a terminal. */
export function importCifar(workspace: string): void {
  const report = JSON.parse(cli(['import', cifarMini], workspace).trim().split('\n').at(-1)!) as { imported: number };
  expect(report.imported).toBe(1000);
}

/** Trains lite-16 at 16x16 through the CLI; returns the run id. */
export function trainLite16(workspace: string, epochs: number): number {
  const lines = cli(['train', '--model', 'lite-16', '--epochs', String(epochs), '--image-size', '16', '--batch-size', '50'], workspace).trim().split('\n');
  const result = JSON.parse(lines.at(-1)!) as { run: number; status: string };
  expect(result.status).toBe('completed');
  return result.run;
}

/** Opens a view by its tab. */
export async function openView(page: Page, label: 'Dataset' | 'Training' | 'Inspect' | 'Try' | 'Runs'): Promise<void> {
  const button = page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: label, exact: true });
  // A click that lands before the page has wired its buttons (a loaded machine) is clicked again.
  await expect(async () => {
    await button.click();
    await expect(button).toHaveAttribute('aria-current', 'page', { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

/** The part of a canvas the pixel check reads (the e2e tsconfig has no DOM library). */
interface CanvasPixels {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

/** How many pixels of a canvas are not fully transparent. */
export async function opaquePixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((element: unknown) => {
    const canvas = element as CanvasPixels;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
    return count;
  });
}
