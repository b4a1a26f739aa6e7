/**
 * `serve` stops cleanly on SIGTERM while a worker is inside WebGPU work (here the doctor measuring the
 * `webgpu` backend on SwiftShader): the worker leaves between two kernels instead of being cut off
 * inside a Dawn call, which used to end the process with a fatal napi error.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tempDir } from '../storage/testing/fixtures.js';
import { importedColourWorkspace, startServeProcess, type ServeProcess } from './testing/serveProcess.js';

let root: string | undefined;
let serve: ServeProcess | undefined;
afterAll(() => {
  serve?.kill();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('exits with 0 on SIGTERM while the doctor measures the webgpu backend', async () => {
  root = tempDir('studio-shutdown-');
  const workspace = path.join(root, 'ws');
  await importedColourWorkspace(path.join(root, 'images'), workspace, 3);
  serve = await startServeProcess(workspace, path.join(root, 'home'));
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${serve!.port}/rpc?token=${serve!.token}`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
  const measuring = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { event?: string; payload?: { message?: string } };
      if (message.event === 'job.progress' && message.payload?.message === 'Measuring webgpu') resolve();
    }),
  );
  ws.send(JSON.stringify({ id: 1, method: 'doctor', args: { model: 'lite-16', imageSize: 16, channels: 3, batchSize: 8, timeoutSeconds: 120 } }));
  await measuring;
  // Into the measurement: the worker is compiling and running WebGPU kernels.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(serve.alive(), serve.stderr()).toBe(true);
  const code = await serve.terminate(20_000);
  expect(serve.stderr()).not.toMatch(/FATAL ERROR/);
  expect(code).toBe(0);
  ws.close();
}, 90_000);
