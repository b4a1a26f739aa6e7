/**
 * Labelling with the model, through the contract's handlers on a real workspace: a tiny run predicts
 * the unlabelled images, its suggestions are confirmed one by one and in bulk as undoable label edits,
 * and "Label next" orders the rest; then a "Find label issues" job trains K folds, survives a stop
 * and a reopened workspace, and ranks the flipped labels first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelIssueJob, LabelIssueReport, LabelSuggestions } from '../../common/contract/labelling.js';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers, RunServices } from '../services/index.js';
import { openWorkspaceDb } from '../storage/db.js';
import { setSplitRatios } from '../storage/splits.js';
import { STRIPE_SIZE, writeStripeFolder, type StripeFolder } from './testing/stripes.js';

let root: string;
let workspace: string;
let folder: StripeFolder;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-labelling-'));
  folder = await writeStripeFolder(path.join(root, 'data'), { labelled: 240, unlabelled: 40, flipEvery: 10 });
  workspace = path.join(root, 'workspace');
  const db = openWorkspaceDb(workspace);
  setSplitRatios(db, { train: 0.8, val: 0.2, test: 0 });
  expect((await importImages(db, { folder: path.join(root, 'data'), workspace })).imported).toBe(280);
  db.close();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function open() {
  const events = new EventHub();
  const ctx = { mode: 'cli' as const, workspace, events, forcedBackend: 'wasm' as const };
  const runs = new RunServices(ctx);
  return { events, call: createDispatcher(createHandlers(ctx, runs)), close: () => runs.close() };
}

describe('suggestions for unlabelled images', () => {
  it('predicts every unlabelled image after a run, confirms one and then all above a confidence, and undoes both', async () => {
    const { events, call } = open();
    const config = runConfigSchema.parse({ model: 'lite-16', imageSize: STRIPE_SIZE, epochs: 3, batchSize: 24, learningRate: 0.05, augmentation: { padding: 0, horizontalFlip: false } });
    const suggested = new Promise<void>((resolve) => events.subscribe((event, p) => event === 'dataset.changed' && (p as { reason: string }).reason === 'labels' && resolve()));
    const run = (await call('createRun', { config })) as { id: number };
    await suggested;

    const all = (await call('labelSuggestions', {})) as LabelSuggestions;
    expect(all.runId).toBe(run.id);
    expect(all.suggestions).toHaveLength(folder.unlabelled.size);
    const names = new Map<number, string>();
    for (const s of all.suggestions) names.set(s.imageId, ((await call('getImage', { imageId: s.imageId })) as { fileName: string }).fileName);
    const right = all.suggestions.filter((s) => folder.truth.get(names.get(s.imageId)!) === s.className).length;
    // Two classes, so chance is 0.5; 30 of 40 right happens by chance about once in a thousand.
    expect(right / all.suggestions.length).toBeGreaterThanOrEqual(0.75);

    const first = all.suggestions[0]!;
    expect(await call('confirmSuggestions', { runId: run.id, imageIds: [first.imageId] })).toEqual({ changed: 1 });
    expect(((await call('getImage', { imageId: first.imageId })) as { className: string }).className).toBe(first.className);
    const threshold = 0.6;
    const above = all.suggestions.filter((s) => s.imageId !== first.imageId && s.confidence >= threshold).length;
    expect(above).toBeGreaterThan(0);
    expect(await call('confirmSuggestions', { runId: run.id, minConfidence: threshold })).toEqual({ changed: above });
    const left = (await call('labelSuggestions', {})) as LabelSuggestions;
    expect(left.suggestions).toHaveLength(folder.unlabelled.size - 1 - above);

    const history = (await call('labelHistory', {})) as { edits: { summary: string }[] };
    expect(history.edits[0]!.summary).toMatch(/Confirmed \d+ suggestions at or above 60 %/);
    await call('undoLabelEdit', {});
    expect(((await call('labelSuggestions', {})) as LabelSuggestions).suggestions).toHaveLength(folder.unlabelled.size - 1);
    await call('undoLabelEdit', {});
    expect(((await call('getImage', { imageId: first.imageId })) as { classId: number | null }).classId).toBeNull();

    const next = (await call('labelNext', { screenSize: 10, limit: 10 })) as LabelSuggestions;
    expect(next.suggestions).toHaveLength(10);
    // No more than a fair share plus one of one predicted class on the first screen.
    const perClass = new Map<string, number>();
    for (const s of next.suggestions) perClass.set(s.className, (perClass.get(s.className) ?? 0) + 1);
    expect(Math.max(...perClass.values())).toBeLessThanOrEqual(6);

    await expect(call('confirmSuggestions', { runId: 9999 })).rejects.toMatchObject({ field: 'runId' });
  }, 180_000);
});

describe('the "Find label issues" job', () => {
  it('stops, resumes after a reopen, completes with out-of-sample accuracy and ranks flipped labels first', async () => {
    const first = open();
    const job = (await first.call('startLabelIssues', { folds: 2, epochs: 6, batchSize: 24, imageSize: STRIPE_SIZE })) as LabelIssueJob;
    expect(job).toMatchObject({ status: 'queued', images: 240 });
    // Stopped while the second fold trains: the first fold's predictions are kept.
    await new Promise<void>((resolve) => first.events.subscribe((event, p) => event === 'job.progress' && (p as { message: string }).message.startsWith('Fold 2') && resolve()));
    await first.call('stopLabelIssues', { jobId: job.id });
    await waitForStatus(first.call, job.id, ['stopped']);
    await first.close();

    const second = open();
    const listed = (await second.call('listLabelIssueJobs', {})) as LabelIssueJob[];
    expect(listed[0]).toMatchObject({ id: job.id, status: 'stopped', foldsDone: 1 });
    const resumedFolds = new Set<string>();
    second.events.subscribe((event, p) => {
      const fold = event === 'job.progress' ? /^Fold (\d+)/.exec((p as { message: string }).message) : null;
      if (fold) resumedFolds.add(fold[1]!);
    });
    await second.call('resumeLabelIssues', { jobId: job.id });
    const done = await waitForStatus(second.call, job.id, ['completed', 'failed']);
    expect(done.error).toBeNull();
    expect(done.foldsDone).toBe(2);
    // Only the unfinished fold trained again.
    expect([...resumedFolds]).toEqual(['2']);
    expect(done.accuracy).toBeGreaterThan(0.7);

    const report = (await second.call('labelIssueReport', { limit: 1000 })) as LabelIssueReport;
    expect(report.job.id).toBe(job.id);
    const top = report.issues.slice(0, folder.flipped.size);
    const hits = top.filter((issue) => folder.flipped.has(issue.fileName));
    expect(hits.length / top.length).toBeGreaterThanOrEqual(0.6);
    for (const hit of hits) expect(hit.suggested).toBe(folder.truth.get(hit.fileName));
    expect(report.warning === null).toBe(done.accuracy! >= 0.7);
    await expect(second.call('stopLabelIssues', { jobId: 4242 })).rejects.toMatchObject({ field: 'jobId' });
    await expect(second.call('startLabelIssues', { folds: 1 })).rejects.toThrow(/folds/);
    await second.close();
  }, 400_000);
});

async function waitForStatus(call: (method: string, args: unknown) => Promise<unknown>, jobId: number, statuses: string[]): Promise<LabelIssueJob> {
  for (;;) {
    const job = ((await call('listLabelIssueJobs', {})) as LabelIssueJob[]).find((j) => j.id === jobId)!;
    if (statuses.includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
