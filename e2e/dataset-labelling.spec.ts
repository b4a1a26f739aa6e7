import { expect, screenshotPath, test } from './fixtures.js';
import { cifarMini, importThroughDialog } from './datasetHelpers.js';

test('relabels three images with the keyboard, undoes one, and excludes a shift-clicked range', async ({ page, studio }) => {
  await page.goto(studio.url);
  await importThroughDialog(page, cifarMini, 1000);

  const cells = page.getByTestId('image-cell');
  const label = (i: number) => cells.nth(i).getByTestId('image-label');
  const count = (name: string) => page.getByTestId(`class-count-${name}`);
  // Import order: the airplane folder comes first.
  for (const i of [0, 1, 2]) await expect(label(i)).toHaveText('airplane');
  await expect(count('airplane')).toHaveText('100');

  // 2 is the second class in the list (automobile), 3 the third (bird); c opens the name box.
  await cells.nth(0).click();
  await page.keyboard.press('2');
  await expect(label(0)).toHaveText('automobile');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('3');
  await expect(label(1)).toHaveText('bird');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('c');
  const command = page.getByRole('dialog', { name: 'Assign a class by name' });
  await command.getByRole('combobox').fill('tru');
  await expect(command).toContainText('move to truck');
  await page.keyboard.press('Enter');
  await expect(command).toBeHidden();
  await expect(label(2)).toHaveText('truck');

  await expect(count('airplane')).toHaveText('97');
  await expect(count('automobile')).toHaveText('101');
  await expect(count('bird')).toHaveText('101');
  await expect(count('truck')).toHaveText('101');

  // Undo takes back the last edit only.
  await page.keyboard.press('Control+z');
  await expect(label(2)).toHaveText('airplane');
  await expect(count('truck')).toHaveText('100');
  await expect(count('airplane')).toHaveText('98');
  await expect(label(0)).toHaveText('automobile');
  await expect(label(1)).toHaveText('bird');
  await expect(page.getByTestId('dataset-status')).toContainText('Undid');
  await expect(page.getByTestId('label-history').getByRole('listitem').first()).toContainText('undone');

  // A shift-click range, excluded with x.
  await cells.nth(3).click();
  await cells.nth(5).click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('selection-count')).toHaveText('3 selected');
  await page.keyboard.press('x');
  for (const i of [3, 4, 5]) await expect(cells.nth(i)).toHaveAttribute('title', /excluded/);
  await page.screenshot({ path: screenshotPath('dataset-labelling') });

  await page.getByRole('combobox', { name: 'Label state' }).selectOption('excluded');
  await expect(page.getByTestId('filter-count')).toHaveText('3 images');
  await expect(cells).toHaveCount(3);
});
