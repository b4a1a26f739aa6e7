/**
 * A run belongs to the process training it. Another process that opens the workspace leaves it alone
 * and is refused when it tries to resume, pause or stop it; once the owner is killed (kill -9) the run
 * is interrupted and resumable at once. A process that loses its hold stops training. Real parts: a
 * CLI `train` in a child process, real training steps (lite-16 at 8x8), a real workspace database.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../common/contract/runs.js';
import { runCli } from '../cli/main.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { cifar } from '../import/testing/hostileFolder.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { getOwner, releaseOwner } from '../storage/owners.js';
import { getRunRow, runEpochs } from '../storage/runs.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { RunManager } from './runManager.js';

// Real training on two cores that another test file may be sharing: allow minutes, not seconds.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

const cliEntry = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));
let root: string;
let workspace: string;
let db: Db;

beforeAll(async () => {
  root = tempDir('studio-owners-');
  const images = path.join(root, 'images');
  for (const name of ['cat', 'dog']) {
    mkdirSync(path.join(images, name), { recursive: true });
    for (const file of readdirSync(path.join(cifar, name)).sort().slice(0, 60)) copyFileSync(path.join(cifar, name, file), path.join(images, name, file));
  }
  workspace = path.join(root, 'workspace');
  db = openWorkspaceDb(workspace);
  await importImages(db, { folder: images, workspace });
});

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 8, epochs: 30, batchSize: 16, learningRate: 0.05 });

/** Resolves with the first `run.batch` payload the hub sees. */
function firstBatch(hub: EventHub): Promise<{ runId: number }> {
  return new Promise((resolve) => hub.subscribe((event, payload) => event === 'run.batch' && resolve(payload as { runId: number })));
}

describe('a run trained by another process', () => {
  it('is left alone when the workspace is opened, refused to resume, pause or stop, and resumable at once after a kill -9', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliEntry, 'train', '--workspace', workspace, '--model', 'lite-16', '--image-size', '8', '--epochs', '30', '--batch-size', '16', '--backend', 'wasm', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const runId = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { event?: string; runId?: number };
        if (message.event === 'run.batch') resolve(message.runId!);
      });
      child.once('exit', (code) => reject(new Error(`train exited with ${code} before training`)));
    });

    // This process opens the workspace: the run stays the child's.
    const hub = new EventHub();
    const manager = new RunManager(db, workspace, hub, { backend: 'wasm' });
    try {
      const held = getRunRow(db, runId)!;
      expect(held.status).toBe('running');
      expect(getOwner(db, held.ownerId!)).toMatchObject({ pid: child.pid });
      const refusal = new RegExp(`^Run ${runId} is being trained by another process \\(process ${child.pid}, last heard from \\d+ s ago\\)\\.`);
      expect(() => manager.resume(runId)).toThrow(refusal);
      expect(() => manager.resume(runId)).toThrow(/Stop it there first, or wait for it to finish\.$/);
      expect(() => manager.pause(runId)).toThrow(/Pause it there\.$/);
      expect(() => manager.stop(runId)).toThrow(/Stop it there\.$/);
      const stderr = new PassThrough();
      const err: Buffer[] = [];
      stderr.on('data', (chunk: Buffer) => err.push(chunk));
      const code = await runCli(['train', '--workspace', workspace, '--resume', String(runId), '--json'], { stdout: new PassThrough(), stderr, isTTY: false });
      expect(code).toBe(1);
      expect(Buffer.concat(err).toString()).toMatch(new RegExp(`attention-studio train: Run ${runId} is being trained by another process \\(process ${child.pid}`));
      expect(getRunRow(db, runId)!.status).toBe('running');

      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // No waiting for the heartbeat to go stale: the owner's process is gone.
      const batch = firstBatch(hub);
      expect(manager.resume(runId).status).toBe('queued');
      const outcome = manager.waitFor(runId);
      expect((await batch).runId).toBe(runId);
      expect(getRunRow(db, runId)).toMatchObject({ status: 'running', ownerId: expect.stringContaining(`:${process.pid}:`) });
      manager.stop(runId);
      expect(await outcome).toMatchObject({ type: 'finished', status: 'stopped' });
      expect(getRunRow(db, runId)).toMatchObject({ status: 'stopped', ownerId: null });
    } finally {
      child.kill('SIGKILL');
      await manager.close();
    }
    expect(db.prepare('SELECT count(*) AS n FROM owners').get()).toEqual({ n: 0 });
  });
});

describe('a process that loses its hold on a run', () => {
  it('stops training it and writes nothing over the state another process gave it', async () => {
    const hub = new EventHub();
    const manager = new RunManager(db, workspace, hub, { backend: 'wasm', lease: { heartbeatMs: 50 } });
    const other = openWorkspaceDb(workspace);
    try {
      const batch = firstBatch(hub);
      const { id: runId } = manager.create(config, 'taken away');
      const outcome = manager.waitFor(runId);
      await batch;
      // Another process found this one stale and handed its run back, as reapAbandoned does.
      const ownerId = getRunRow(other, runId)!.ownerId!;
      other.transaction(() => releaseOwner(other, ownerId, Date.now())).immediate();
      expect(await outcome).toEqual({ type: 'interrupted' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(getRunRow(other, runId)).toMatchObject({ status: 'interrupted', ownerId: null });
      expect(runEpochs(other, runId)).toEqual([]);
    } finally {
      other.close();
      await manager.close();
    }
  });
});
