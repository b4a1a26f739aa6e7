/** Steps the dataset tests share: importing a folder through the dialog as a user does. */
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect } from './fixtures.js';

export const cifarMini = path.resolve('..', 'shared', 'datasets', 'cifar10-mini');

/** Imports a folder through the Import dialog and closes it once the report is shown. */
export async function importThroughDialog(page: Page, folder: string, expectedFiles: number): Promise<void> {
  await page.getByTestId('import-button').click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(folder);
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByRole('progressbar', { name: 'Import progress' })).toHaveAttribute('aria-valuenow', String(expectedFiles));
  await expect(dialog.getByTestId('import-report')).toBeVisible();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
}
