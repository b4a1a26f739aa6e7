import { expect, screenshotPath, test } from './fixtures.js';

test('the served studio loads with its token and shows the info call end to end', async ({ page, studio }) => {
  await page.goto(studio.url);
  await expect(page.getByRole('heading', { name: 'Attention Studio' })).toBeVisible();
  // The version and backend come from the `info` contract method over the WebSocket.
  await expect(page.getByTestId('app-version')).toContainText('browser mode');
  // A workspace is open, so the studio starts on the dataset; the backends are on the Machine tab.
  await page.getByRole('button', { name: 'Machine' }).click();
  await expect(page.getByTestId('selected-backend')).toContainText('Training will use');
  await expect(page.getByTestId('backend-wasm')).toContainText('yes');
  await expect(page.getByTestId('backend-tensorflow')).toBeVisible();
  await page.screenshot({ path: screenshotPath('shell') });
});

test('the studio refuses a page load without the token or with a wrong one (401)', async ({ page, studio }) => {
  const base = `http://127.0.0.1:${studio.port}/`;
  const without = await page.goto(base);
  expect(without?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('Unauthorized');
  const wrong = await page.goto(`${base}?token=not-the-token`);
  expect(wrong?.status()).toBe(401);
});

test('the Machine view measures every backend on a model and shows devices, speeds and the choice', async ({ page, studio }) => {
  await page.goto(studio.url);
  await page.getByRole('button', { name: 'Machine' }).click();
  const form = page.getByRole('form', { name: 'Measure the backends' });
  await form.getByLabel('Model').fill('lite-16');
  await form.getByLabel('Input size').fill('8');
  await form.getByLabel('Batch').fill('4');
  await page.getByTestId('measure-backends').click();
  await expect(page.getByTestId('measure-backends')).toHaveText('Measure speeds', { timeout: 180_000 });
  await expect(page.getByTestId('train-speed-wasm')).toContainText('img/s');
  await expect(page.getByTestId('selected-backend')).toContainText(/Training will use wasm/);
  // Where the only GPU is SwiftShader, WebGPU is measured but marked as a software adapter, not chosen.
  const webgpu = page.getByTestId('backend-webgpu');
  if ((await webgpu.textContent())?.includes('yes (software)')) await expect(page.getByTestId('train-speed-webgpu')).toContainText('img/s');
  await expect(page.getByTestId('backend-tensorflow')).toContainText('To enable');
  await page.screenshot({ path: screenshotPath('machine-doctor') });
});
