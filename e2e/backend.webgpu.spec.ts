import { expect, test } from '@playwright/test';

// Runs in the 'chromium-webgpu' project: Chromium with --enable-unsafe-webgpu, whose adapter here is
// SwiftShader (a software fallback adapter).
test('with a WebGPU adapter the page finds it and explains its choice', async ({ page }) => {
  await page.goto('/');
  const status = page.getByTestId('backend');
  await expect(status).not.toHaveAttribute('data-backend', 'pending');
  const adapter = await status.getAttribute('data-adapter');
  expect(adapter === 'software' || adapter === 'hardware').toBe(true);
  if (adapter === 'software') {
    // A software adapter is slower than wasm: auto picks wasm and says so.
    await expect(status).toHaveAttribute('data-backend', 'wasm');
    await expect(status).toContainText('software WebGPU adapter');
  } else {
    await expect(status).toHaveAttribute('data-backend', 'webgpu');
    await expect(status).toContainText('WebGPU adapter found');
  }
});

test('WebGPU can be requested explicitly', async ({ page }) => {
  await page.goto('/?backend=webgpu');
  const status = page.getByTestId('backend');
  await expect(status).toHaveAttribute('data-backend', 'webgpu');
  await expect(status).toContainText('WebGPU');
});
