/**
 * The keyboard and layout of the dataset view: number keys stay with their class when another class is
 * added (keys follow the order classes were created, not their names), the class editor's buttons fit
 * the sidebar at common window widths, and Merge asks before it acts.
 */
import { expect, screenshotPath, test } from './fixtures.js';
import { synthesiseImages } from './datasetSynth.js';

/** The part of a button the fit check reads (the e2e tsconfig has no DOM library). */
interface ButtonElement {
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  ownerDocument: { elementFromPoint(x: number, y: number): unknown };
  contains(other: unknown): boolean;
  scrollWidth: number;
  clientWidth: number;
}

test('a class keeps its number key when another is added, whatever the names', async ({ page, studio }) => {
  // Created in this order; by name they sort daisy, rose, tulip.
  await synthesiseImages(studio.workspace, { total: 30, classes: ['tulip', 'daisy', 'rose'] });
  await page.goto(studio.url);
  await expect(page.getByTestId('filter-count')).toHaveText('30 images');
  const key = (name: string) => page.getByTestId(`class-key-${name}`);
  await expect(key('tulip')).toHaveText('1');
  await expect(key('daisy')).toHaveText('2');
  await expect(key('rose')).toHaveText('3');

  const cells = page.getByTestId('image-cell');
  const label = (i: number) => cells.nth(i).getByTestId('image-label');
  await cells.nth(0).click();
  await page.keyboard.press('3');
  await expect(label(0)).toHaveText('rose');

  // "aster" sorts first by name; it gets the next key and rose keeps 3.
  await page.getByRole('textbox', { name: 'New class name' }).fill('aster');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(key('aster')).toHaveText('4');
  await expect(key('rose')).toHaveText('3');
  await expect(key('tulip')).toHaveText('1');
  await cells.nth(1).click();
  await page.keyboard.press('3');
  await expect(label(1)).toHaveText('rose');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('4');
  await expect(label(2)).toHaveText('aster');
});

test('the class editor fits the sidebar at 1280, 1440 and 1920 px, and Merge asks for confirmation', async ({ page, studio }) => {
  await synthesiseImages(studio.workspace, { total: 20, classes: ['a-class-with-a-rather-long-name', 'daisy'] });
  await page.goto(studio.url);
  await expect(page.getByTestId('filter-count')).toHaveText('20 images');
  await page.getByTestId('class-a-class-with-a-rather-long-name').click();
  const sidebar = page.getByRole('complementary', { name: 'Classes and filters' });
  const editor = page.getByRole('region', { name: 'Edit class a-class-with-a-rather-long-name' });

  for (const width of [1280, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    const side = (await sidebar.boundingBox())!;
    for (const name of ['Rename', 'Merge…', 'Delete class…']) {
      const button = editor.getByRole('button', { name, exact: true });
      await expect(button).toBeVisible();
      const b = (await button.boundingBox())!;
      expect(b.x, `${name} at ${width} px`).toBeGreaterThanOrEqual(side.x);
      expect(b.x + b.width, `${name} at ${width} px`).toBeLessThanOrEqual(side.x + side.width);
      // Nothing covers it, and its text is not cut: the button is as wide as its label needs.
      const whole = await button.evaluate((element: unknown) => {
        const el = element as ButtonElement;
        const rect = el.getBoundingClientRect();
        const hit = el.ownerDocument.elementFromPoint(rect.x + rect.width / 2, rect.y + rect.height / 2);
        return (hit === el || el.contains(hit)) && el.scrollWidth <= el.clientWidth;
      });
      expect(whole, `${name} at ${width} px is whole and on top`).toBe(true);
    }
    await page.screenshot({ path: screenshotPath(`class-editor-${width}`) });
  }

  await editor.getByRole('combobox', { name: 'Merge into' }).selectOption({ label: 'daisy' });
  await editor.getByRole('button', { name: 'Merge…' }).click();
  const confirm = editor.getByRole('group', { name: 'Confirm the merge' });
  await expect(confirm).toContainText('Move all 10 images of a-class-with-a-rather-long-name into daisy');
  await confirm.getByRole('button', { name: 'Keep both' }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('class-count-daisy')).toHaveText('10');
  await editor.getByRole('button', { name: 'Merge…' }).click();
  await confirm.getByRole('button', { name: 'Merge', exact: true }).click();
  await expect(page.getByTestId('class-count-daisy')).toHaveText('20');
  await expect(page.getByTestId('class-a-class-with-a-rather-long-name')).toHaveCount(0);
});
