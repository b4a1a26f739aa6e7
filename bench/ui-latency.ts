/**
 * Does the studio stay responsive while it trains? Serves browser mode in this process (the "main
 * process"), starts a run through the contract, and times contract calls a UI makes (listImages,
 * classCounts, getThumbnails) over the WebSocket, before and during training. Prints JSON.
 *
 *   npm run bench:ui-latency -- [--seconds 20] [--model lite-16] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { importImages } from '../electron/node/import/importer.js';
import { startStudioServer } from '../electron/node/server/studio.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, model: { type: 'string', default: 'lite-16' }, json: { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);
const root = mkdtempSync(path.join(os.tmpdir(), 'ui-latency-'));
const workspace = path.join(root, 'workspace');
const db = openWorkspaceDb(workspace);
await importImages(db, { folder: path.resolve(import.meta.dirname, '../../shared/datasets/cifar10-mini'), workspace });
db.close();

const server = await startStudioServer({ workspace, forcedBackend: 'wasm' });
const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
await new Promise((resolve) => ws.once('open', resolve));
let nextId = 1;
const pending = new Map<number, (value: unknown) => void>();
const statuses: string[] = [];
ws.on('message', (data) => {
  const message = JSON.parse(String(data)) as { id?: number; result?: unknown; event?: string; payload?: { status?: string } };
  if (message.event === 'run.status' && message.payload?.status) statuses.push(message.payload.status);
  if (message.id !== undefined) {
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  }
});
const call = (method: string, args: unknown) =>
  new Promise<unknown>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, args }));
  });

async function sample(durationSeconds: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + durationSeconds * 1000;
  let cursor = 0;
  while (performance.now() < end) {
    const t = performance.now();
    const page = (await call('listImages', { limit: 100, ...(cursor ? { after: cursor } : {}) })) as { images: { id: number }[]; nextCursor: number | null };
    await call('classCounts', {});
    await call('getThumbnails', { imageIds: page.images.slice(0, 50).map((i) => i.id) });
    times.push(performance.now() - t);
    cursor = page.nextCursor ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return times;
}

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return { samples: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: +sorted.at(-1)!.toFixed(1) };
}

const idle = await sample(Math.min(5, seconds));
await call('createRun', { config: { model: values.model, imageSize: 32, epochs: 50, batchSize: 64 } });
while (!statuses.includes('running')) await new Promise((resolve) => setTimeout(resolve, 100));
const training = await sample(seconds);
const runs = (await call('listRuns', {})) as { id: number }[];
await call('stopRun', { runId: runs[0]!.id });
ws.close();
await server.close();
rmSync(root, { recursive: true, force: true });
const result = {
  what: 'round trip of listImages + classCounts + getThumbnails(50) over the browser-mode WebSocket',
  idle: stats(idle),
  whileTraining: stats(training),
  target: 'p95 < 100 ms while training',
};
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
