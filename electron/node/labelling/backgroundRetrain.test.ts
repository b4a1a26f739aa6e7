/**
 * Background retraining as labels arrive, through the contract's handlers on a real workspace: below
 * the threshold nothing starts; at it, a run with the latest completed run's recipe trains on the new
 * labels and then replaces the suggestions; turned off, labels start nothing. Before any run, the
 * first background run uses the small default recipe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundRetrainStatus, LabelSuggestions } from '../../common/contract/labelling.js';
import { runConfigSchema, type RunSummary } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers, RunServices } from '../services/index.js';
import { openWorkspaceDb } from '../storage/db.js';
import { setSplitRatios } from '../storage/splits.js';
import { firstRetrainConfig } from './backgroundRetrain.js';
import { STRIPE_SIZE, writeStripeFolder } from './testing/stripes.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-retrain-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function workspaceWith(name: string, labelled: number, unlabelled: number) {
  const data = path.join(root, `${name}-data`);
  await writeStripeFolder(data, { labelled, unlabelled });
  const workspace = path.join(root, name);
  const db = openWorkspaceDb(workspace);
  setSplitRatios(db, { train: 0.8, val: 0.2, test: 0 });
  expect((await importImages(db, { folder: data, workspace })).imported).toBe(labelled + unlabelled);
  db.close();
  const events = new EventHub();
  const ctx = { mode: 'cli' as const, workspace, events, forcedBackend: 'wasm' as const };
  const runs = new RunServices(ctx);
  const call = createDispatcher(createHandlers(ctx, runs));
  return { events, call, close: () => runs.close() };
}

function nextEvent<T>(events: EventHub, name: string, test: (payload: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const stop = events.subscribe((event, payload) => {
      if (event === name && test(payload as T)) {
        stop();
        resolve(payload as T);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('background retraining as labels arrive', () => {
  it('starts a run with the latest recipe every N new labels, which then replaces the suggestions; off, labels start nothing', async () => {
    const { events, call, close } = await workspaceWith('after-run', 60, 60);
    const config = runConfigSchema.parse({ model: 'lite-16', imageSize: STRIPE_SIZE, epochs: 2, batchSize: 16, learningRate: 0.05, augmentation: { padding: 0, horizontalFlip: false } });
    const suggested = nextEvent<{ reason: string }>(events, 'dataset.changed', (p) => p.reason === 'labels');
    const first = (await call('createRun', { config })) as RunSummary;
    await suggested;
    expect(((await call('labelSuggestions', {})) as LabelSuggestions).runId).toBe(first.id);

    const off = (await call('backgroundRetrain', {})) as BackgroundRetrainStatus;
    expect(off).toMatchObject({ enabled: false, newLabels: 0, runId: null });
    const on = (await call('setBackgroundRetrain', { enabled: true, everyLabels: 10 })) as BackgroundRetrainStatus;
    expect(on).toMatchObject({ enabled: true, everyLabels: 10, newLabels: 0, runId: null });
    expect(on.message).toMatch(/0 of 10 new labels/);

    // Six labels: counted, below the threshold, nothing starts.
    const ids = ((await call('labelSuggestions', {})) as LabelSuggestions).suggestions.map((s) => s.imageId);
    await call('confirmSuggestions', { runId: first.id, imageIds: ids.slice(0, 6) });
    await sleep(2500);
    expect(await call('backgroundRetrain', {})).toMatchObject({ newLabels: 6, runId: null });
    expect(((await call('listRuns', {})) as RunSummary[]).map((r) => r.id)).toEqual([first.id]);

    // Four more reach ten: one run starts (the two edits settle into one check), with the same recipe.
    const started = nextEvent<BackgroundRetrainStatus>(events, 'labelling.retrain', (p) => p.runId !== null);
    await call('confirmSuggestions', { runId: first.id, imageIds: ids.slice(6, 8) });
    await call('confirmSuggestions', { runId: first.id, imageIds: ids.slice(8, 10) });
    const status = await started;
    expect(status.message).toMatch(new RegExp(`Run ${status.runId} is retraining`));
    const runs = (await call('listRuns', {})) as RunSummary[];
    expect(runs.map((r) => r.id)).toEqual([status.runId, first.id]);
    const background = runs[0]!;
    expect(background.name).toBe('Background retrain (+10 labels)');
    expect(background.config).toMatchObject({ model: 'lite-16', imageSize: STRIPE_SIZE, epochs: 2, batchSize: 16 });
    expect(background.images.train + background.images.val).toBe(70);

    // When it completes, its suggestions are the ones shown, for the 50 images still unlabelled.
    const resuggested = nextEvent<{ reason: string }>(events, 'dataset.changed', (p) => p.reason === 'labels');
    await resuggested;
    const after = (await call('labelSuggestions', {})) as LabelSuggestions;
    expect(after.runId).toBe(status.runId);
    expect(after.suggestions).toHaveLength(50);
    await sleep(2000);
    expect(await call('backgroundRetrain', {})).toMatchObject({ enabled: true, newLabels: 0, runId: null });

    // Off: ten more labels start nothing.
    expect(await call('setBackgroundRetrain', { enabled: false, everyLabels: 10 })).toMatchObject({ enabled: false });
    await call('confirmSuggestions', { runId: status.runId!, imageIds: after.suggestions.slice(0, 10).map((s) => s.imageId) });
    await sleep(2500);
    expect(await call('backgroundRetrain', {})).toMatchObject({ enabled: false, newLabels: 10, runId: null });
    expect((await call('listRuns', {})) as RunSummary[]).toHaveLength(2);
    await expect(call('setBackgroundRetrain', { enabled: true, everyLabels: 0 })).rejects.toThrow(/everyLabels/);
    await close();
  }, 240_000);

  it('before any run, the first background run uses the small default recipe; too few labels say why nothing started', async () => {
    const { call, close } = await workspaceWith('fresh', 24, 8);
    const status = (await call('setBackgroundRetrain', { enabled: true, everyLabels: 5 })) as BackgroundRetrainStatus;
    // 24 labelled images: about 19 in train, fewer than the default batch of 32.
    expect(status.runId).toBeNull();
    expect(status.message).toMatch(/^Not started: (1\d|2[0-4]) labelled training images, fewer than one batch of 32/);
    expect(await call('listRuns', {})).toEqual([]);
    await close();

    const more = await workspaceWith('fresh-larger', 60, 8);
    const startedStatus = (await more.call('setBackgroundRetrain', { enabled: true, everyLabels: 5 })) as BackgroundRetrainStatus;
    expect(startedStatus.runId).not.toBeNull();
    const [run] = (await more.call('listRuns', {})) as RunSummary[];
    expect(run).toMatchObject({ id: startedStatus.runId, name: 'Background retrain (+60 labels)' });
    expect(run!.config).toMatchObject({ model: firstRetrainConfig.model, epochs: firstRetrainConfig.epochs, maxMinutes: firstRetrainConfig.maxMinutes });
    await more.call('stopRun', { runId: run!.id });
    await more.close();
  }, 120_000);
});
