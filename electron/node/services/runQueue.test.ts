/**
 * What a run does before its first batch, and after its last, through the runs service as the studio
 * calls it: a queued run says what it waits for, and a run that completes is evaluated on its
 * validation split without being asked. Real training (lite-16 at 8x8 on 40 CIFAR images) in a worker.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunEvaluatedEvent, RunEvaluation, RunStatusEvent, RunSummary } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { cifar } from '../import/testing/hostileFolder.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { openWorkspaceDb } from '../storage/db.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { RunServices, runHandlers } from './runs.js';
import type { ServiceContext } from './context.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

let root: string;
let ctx: ServiceContext;
let services: RunServices;
let call: (method: string, args?: unknown) => Promise<unknown>;
const events: { event: string; payload: unknown }[] = [];

beforeAll(async () => {
  root = tempDir('studio-run-queue-');
  const folder = path.join(root, 'pets');
  for (const label of ['cat', 'dog']) {
    mkdirSync(path.join(folder, label), { recursive: true });
    for (const file of readdirSync(path.join(cifar, label)).sort().slice(0, 20)) copyFileSync(path.join(cifar, label, file), path.join(folder, label, file));
  }
  const workspace = path.join(root, 'ws');
  const db = openWorkspaceDb(workspace);
  try {
    expect((await importImages(db, { folder, workspace })).imported).toBe(40);
  } finally {
    db.close();
  }
  ctx = { mode: 'browser', workspace, events: new EventHub(), forcedBackend: 'wasm' };
  ctx.events.subscribe((event, payload) => events.push({ event, payload }));
  services = new RunServices(ctx);
  call = createDispatcher(runHandlers(ctx, services) as never);
});

afterAll(async () => {
  await services?.close();
  rmSync(root, { recursive: true, force: true });
});

function evaluated(runId: number): Promise<RunEvaluatedEvent> {
  const seen = events.find((e) => e.event === 'run.evaluated' && (e.payload as RunEvaluatedEvent).runId === runId);
  if (seen) return Promise.resolve(seen.payload as RunEvaluatedEvent);
  return new Promise((resolve) => {
    const stop = ctx.events.subscribe((event, payload) => {
      if (event === 'run.evaluated' && (payload as RunEvaluatedEvent).runId === runId) {
        stop();
        resolve(payload as RunEvaluatedEvent);
      }
    });
  });
}

describe('a queued run and a completed one', () => {
  it('says why each queued run waits, then evaluates each completed run on its validation split', async () => {
    const config = { model: 'lite-16', imageSize: 8, epochs: 1, batchSize: 8 };
    const first = (await call('createRun', { name: 'first', config })) as RunSummary;
    const second = (await call('createRun', { name: 'second', config })) as RunSummary;
    expect(second.status).toBe('queued');
    expect(second.waiting).toBe(`waiting for run ${first.id} to finish`);
    const third = (await call('createRun', { name: 'third', config })) as RunSummary;
    expect(third.waiting).toBe(`waiting for run ${first.id} to finish and 1 queued before it`);
    await call('stopRun', { runId: third.id });
    expect(((await call('listRuns', {})) as RunSummary[]).find((r) => r.id === third.id)).toMatchObject({ status: 'stopped', waiting: null });

    const [done] = await Promise.all([evaluated(first.id), evaluated(second.id)]);
    expect(done.error).toBeNull();
    expect(done.split).toBe('val');

    // Every queued status of the first run carried a reason: starting, then decoding at the run's size.
    const reasons = events
      .filter((e) => e.event === 'run.status' && (e.payload as RunStatusEvent).runId === first.id && (e.payload as RunStatusEvent).status === 'queued')
      .map((e) => (e.payload as RunStatusEvent).waiting);
    expect(reasons.every((reason) => typeof reason === 'string' && reason.length > 0)).toBe(true);
    expect(reasons).toContain('starting the training worker');
    expect(reasons.some((reason) => /^decoding images at 8 px \(\d+ %\)$/.test(reason!))).toBe(true);

    for (const run of [first, second]) {
      const evaluation = (await call('storedEvaluation', { runId: run.id, split: 'val' })) as RunEvaluation;
      expect(evaluation.images).toBe(run.images.val);
    }
    const listed = (await call('listRuns', {})) as RunSummary[];
    expect(listed.filter((r) => r.id !== third.id).map((r) => [r.status, r.waiting])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
  });
});
