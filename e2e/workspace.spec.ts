import path from 'node:path';
import { expect, screenshotPath, test } from './fixtures.js';

test('opens a new workspace folder by path and shows it in the header', async ({ page, studio }) => {
  await page.goto(studio.url);
  // The server was started on a workspace: the header names it.
  await expect(page.getByTestId('workspace-button')).toHaveText(path.basename(studio.workspace));

  await page.getByTestId('workspace-button').click();
  const dialog = page.getByRole('dialog', { name: 'Open a workspace' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(path.join(studio.workspace, 'does', 'not', 'exist'));
  await dialog.getByLabel('Create the folder if it does not exist').uncheck();
  await dialog.getByRole('button', { name: 'Open' }).click();
  await expect(dialog.getByRole('alert')).toContainText('does not exist');

  await dialog.getByRole('textbox', { name: 'Folder' }).fill(path.join(studio.workspace, 'flowers'));
  await dialog.getByLabel('Create the folder if it does not exist').check();
  await dialog.getByRole('button', { name: 'Open' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('workspace-button')).toHaveText('flowers');
  await page.screenshot({ path: screenshotPath('workspace-opened') });
});
