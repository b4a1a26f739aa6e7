import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { expect, screenshotPath, test } from './fixtures.js';

const cifar = path.resolve('..', 'shared', 'datasets', 'cifar10-mini');

test('imports a folder with a progress bar that reaches the end, then reports duplicates, conflicts and skipped files', async ({
  page,
  studio,
}) => {
  await page.goto(studio.url);
  // With a workspace open the studio starts on the dataset.
  await expect(page.getByRole('button', { name: 'Dataset' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('filter-count')).toHaveText('0 images');

  await page.getByTestId('import-button').click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(cifar);
  await dialog.getByRole('button', { name: 'Start import' }).click();

  const bar = dialog.getByRole('progressbar', { name: 'Import progress' });
  await expect(bar).toHaveAttribute('aria-valuemax', '1000');
  await expect(bar).toHaveAttribute('aria-valuenow', '1000');
  await expect(dialog.getByTestId('import-counts')).toContainText('1,000 / 1,000 files');
  await expect(dialog.getByTestId('import-report')).toContainText('1,000 imported');
  await expect(dialog.getByTestId('report-skipped')).toHaveText('0 skipped');
  await expect(dialog.getByTestId('report-links')).toContainText('followed only where they lead inside the imported folder: 0 followed');
  await page.screenshot({ path: screenshotPath('dataset-import-done') });

  // A second folder: a copy of an airplane filed as a cat (a duplicate whose label conflicts) and a
  // file that is not an image.
  const extra = path.join(studio.workspace, 'extra');
  mkdirSync(path.join(extra, 'cat'), { recursive: true });
  copyFileSync(path.join(cifar, 'airplane', '0001.jpg'), path.join(extra, 'cat', 'copy-of-plane.jpg'));
  writeFileSync(path.join(extra, 'cat', 'notes.jpg'), 'not a picture');
  writeFileSync(path.join(extra, '.DS_Store'), 'Finder litter');
  await dialog.getByRole('button', { name: 'Import another folder' }).click();
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(extra);
  await dialog.getByRole('button', { name: 'Start import' }).click();
  const report = dialog.getByTestId('import-report');
  await expect(report).toContainText('0 imported');
  await expect(dialog.getByTestId('report-duplicates')).toHaveText('1 duplicates');
  await expect(report.getByRole('row', { name: /copy-of-plane\.jpg.*airplane/ })).toBeVisible();
  await expect(report.getByRole('row', { name: /notes\.jpg/ })).toBeVisible();
  await expect(dialog.getByTestId('report-hidden')).toContainText('1 hidden entry left out');
  await page.screenshot({ path: screenshotPath('dataset-import-report') });

  // The wrong folder: three new images, excluded again from the report, then brought back by undo.
  const wrong = path.join(studio.workspace, 'wrong', 'misc');
  mkdirSync(wrong, { recursive: true });
  for (let i = 0; i < 3; i++) {
    await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: 60 * i, g: 20, b: 200 } } })
      .png().toFile(path.join(wrong, `swatch-${i}.png`));
  }
  await dialog.getByRole('button', { name: 'Import another folder' }).click();
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(path.dirname(wrong));
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByTestId('import-report')).toContainText('3 imported');
  await dialog.getByTestId('exclude-import').click();
  await expect(dialog.getByTestId('import-excluded')).toContainText('Excluded 3 images');

  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('label-history').getByRole('listitem').first()).toContainText(/Excluded 3 images of import \d+/);
  await page.getByRole('combobox', { name: 'Label state' }).selectOption('excluded');
  await expect(page.getByTestId('filter-count')).toHaveText('3 images');
  await page.getByTestId('image-cell').first().click();
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('filter-count')).toHaveText('0 images');
  await page.getByRole('combobox', { name: 'Label state' }).selectOption('');

  await expect(page.getByTestId('filter-count')).toHaveText('1,003 images');
  await expect(page.getByTestId('class-count-airplane')).toHaveText('100');
  await expect(page.getByTestId('class-count-cat')).toHaveText('100');
  await expect(page.getByTestId('class-count-misc')).toHaveText('3');
  await expect(page.getByTestId('image-cell').first().locator('img')).toBeVisible();
  await page.screenshot({ path: screenshotPath('dataset-grid') });
});

test('says why a dropped folder cannot be imported in browser mode, and keeps the path field', async ({ page, studio }) => {
  await page.goto(studio.url);
  const region = page.getByRole('region', { name: 'Dataset' });
  await expect(region).toBeVisible();
  // What a drop of a folder called "flowers" hands a web page: a File with a name and no path.
  const dataTransfer = await page.evaluateHandle(`(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['x'], 'flowers'));
    return transfer;
  })()`);
  await region.dispatchEvent('drop', { dataTransfer });
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByRole('status')).toContainText('"flowers" was dropped');
  await expect(dialog.getByRole('textbox', { name: 'Folder' })).toBeFocused();
});
