/** The dataset methods through the dispatcher, as the renderer calls them: validation, jobs, events. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassCounts, ImageSummary, ImagePage, ImportFinished, ImportJob, ImportRecord, ImportReport, Thumbnail } from '../../common/contract/dataset.js';
import { EventHub } from '../events.js';
import { cifar } from '../import/testing/hostileFolder.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { openWorkspaceDb } from '../storage/db.js';
import { beginImport } from '../storage/imports.js';
import { registerOwner } from '../storage/owners.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { createHandlers, type ServiceContext } from './index.js';

let root: string;
let ctx: ServiceContext;
let call: (method: string, args?: unknown) => Promise<unknown>;
const events: { event: string; payload: unknown }[] = [];

beforeAll(async () => {
  root = tempDir('studio-service-');
  ctx = { mode: 'browser', workspace: null, events: new EventHub() };
  ctx.events.subscribe((event, payload) => events.push({ event, payload }));
  call = createDispatcher(createHandlers(ctx));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function finished(jobId: string): Promise<ImportFinished> {
  return new Promise((resolve) => {
    const stop = ctx.events.subscribe((event, payload) => {
      if (event === 'import.finished' && (payload as ImportFinished).jobId === jobId) {
        stop();
        resolve(payload as ImportFinished);
      }
    });
  });
}

async function importInto(workspace: string, folder: string): Promise<ImportFinished> {
  ctx.workspace = workspace;
  const { jobId } = (await call('importFolder', { folder })) as { jobId: string };
  return finished(jobId);
}

describe('dataset service', () => {
  it('asks for a workspace before anything else', async () => {
    await expect(call('classCounts', {})).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/No workspace is open/) });
  });

  it('refuses a folder that does not exist, naming the field, before starting a job', async () => {
    ctx.workspace = path.join(root, 'ws');
    await expect(call('importFolder', { folder: path.join(root, 'nope') })).rejects.toMatchObject({ code: 'not_found', field: 'folder' });
  });

  it('imports as a job with progress events and a final report', async () => {
    const done = await importInto(path.join(root, 'ws'), cifar);
    expect(done.state).toBe('done');
    expect(done.report).toMatchObject({ imported: 1000 });
    const status = (await call('importStatus', { jobId: done.jobId })) as ImportJob;
    expect(status).toMatchObject({ state: 'done', progress: { processed: 1000, walkDone: true } });
    expect(events.some((e) => e.event === 'import.progress')).toBe(true);
    expect(events.some((e) => e.event === 'dataset.changed')).toBe(true);
    expect(await call('cancelImport', { jobId: done.jobId })).toEqual({ cancelled: false });
  });

  it('lists an import whose process is gone as interrupted, and the finished one as completed', async () => {
    // Another process on this machine began an import and was killed: its pid no longer exists.
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    const db = openWorkspaceDb(path.join(root, 'ws'));
    try {
      registerOwner(db, { id: 'killed-import', host: os.hostname(), pid: gone.pid!, startedAt: Date.now(), heartbeatAt: Date.now() });
      beginImport(db, '/mnt/photos', 'killed-import');
    } finally {
      db.close();
    }
    const imports = (await call('listImports', {})) as ImportRecord[];
    expect(imports.map((i) => [i.source, i.status])).toEqual([['/mnt/photos', 'interrupted'], [cifar, 'completed']]);
  });

  it('pages through a class with a cursor, in a stable order, without repeats', async () => {
    const counts = (await call('classCounts', {})) as ClassCounts;
    const cat = counts.classes.find((c) => c.name === 'cat')!;
    const seen: number[] = [];
    let after: number | undefined;
    do {
      const page = (await call('listImages', { classId: cat.id, limit: 30, ...(after ? { after } : {}) })) as ImagePage;
      seen.push(...page.images.map((i) => i.id));
      after = page.nextCursor ?? undefined;
    } while (after);
    expect(seen).toHaveLength(100);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const thumbs = (await call('getThumbnails', { imageIds: seen.slice(0, 3) })) as Thumbnail[];
    expect(thumbs.map((t) => t.mime)).toEqual(['image/jpeg', 'image/jpeg', 'image/jpeg']);
    expect(Buffer.from(thumbs[0].base64, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('validates arguments, naming the field', async () => {
    await expect(call('relabelImages', { imageIds: [], classId: 1 })).rejects.toMatchObject({ code: 'invalid_argument', field: 'imageIds' });
    await expect(call('addClass', { name: 'a/b' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'name' });
    await expect(call('setSplitRatios', { train: 0.5, val: 0.1, test: 0.1 })).rejects.toMatchObject({ code: 'invalid_argument', field: 'train' });
  });

  it('relabels, undoes and redoes, announcing each change', async () => {
    const counts = (await call('classCounts', {})) as ClassCounts;
    const dog = counts.classes.find((c) => c.name === 'dog')!;
    // Paths are searched: the cat folder's images, whatever their label.
    const page = (await call('listImages', { search: '/cat/', limit: 5 })) as ImagePage;
    expect(page.images.map((i) => i.className)).toEqual(Array(5).fill('cat'));
    const cats = (await call('listImages', { classId: counts.classes.find((c) => c.name === 'cat')!.id, limit: 2 })) as ImagePage;
    const ids = cats.images.map((i) => i.id);
    expect(await call('relabelImages', { imageIds: ids, classId: dog.id })).toEqual({ changed: 2 });
    expect(((await call('getImage', { imageId: ids[0] })) as ImageSummary).className).toBe('dog');
    expect(await call('undoLabelEdit', {})).toMatchObject({ edit: { kind: 'relabel', undone: true } });
    expect(((await call('getImage', { imageId: ids[0] })) as ImageSummary).className).toBe('cat');
    expect(await call('redoLabelEdit', {})).toMatchObject({ edit: { undone: false } });
    await call('undoLabelEdit', {});
  });

  it('moves images to a split by hand as an undoable edit, announcing it', async () => {
    const page = (await call('listImages', { split: 'train', limit: 3 })) as ImagePage;
    const ids = page.images.map((i) => i.id);
    events.length = 0;
    expect(await call('moveToSplit', { imageIds: ids, split: 'test' })).toEqual({ changed: 3 });
    expect(events).toContainEqual({ event: 'dataset.changed', payload: { reason: 'splits' } });
    const moved = (await call('getImage', { imageId: ids[0] })) as ImageSummary;
    expect(moved).toMatchObject({ split: 'test', splitPinned: true });
    expect(await call('undoLabelEdit', {})).toMatchObject({ edit: { kind: 'split', summary: 'Moved 3 images to test' } });
    expect(await call('getImage', { imageId: ids[0] })).toMatchObject({ split: 'train', splitPinned: false });
    await expect(call('moveToSplit', { imageIds: ids, split: 'holdout' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'split' });
  });

  it('reopens the report of a past import, and refuses a folder as the test split while it is locked', async () => {
    const [latest] = ((await call('listImports', {})) as ImportRecord[]).filter((i) => i.status === 'completed');
    expect(latest).toMatchObject({ hasReport: true, split: null });
    const { record, report } = (await call('importReport', { importId: latest!.id })) as { record: ImportRecord; report: ImportReport };
    expect(record.id).toBe(latest!.id);
    expect(report).toMatchObject({ importId: latest!.id, imported: 1000, folder: cifar });
    const interrupted = ((await call('listImports', {})) as ImportRecord[]).find((i) => i.status === 'interrupted')!;
    expect(await call('importReport', { importId: interrupted.id })).toMatchObject({ report: null, record: { hasReport: false } });

    await call('lockTestSplit', { locked: true });
    await expect(call('importFolder', { folder: cifar, split: 'test' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/test split is locked/),
    });
    await call('lockTestSplit', { locked: false });
  });

  it('exports class folders that import back to the same counts, and a CSV', async () => {
    const out = path.join(root, 'export');
    const report = (await call('exportDataset', { destination: out, format: 'folders' })) as { exported: number; skipped: unknown[] };
    expect(report).toMatchObject({ exported: 1000, skipped: [] });
    expect(readdirSync(out).sort()).toEqual(readdirSync(cifar).sort());
    const again = await importInto(path.join(root, 'ws2'), out);
    expect(again.report?.classes).toEqual(Object.fromEntries(readdirSync(cifar).sort().map((c) => [c, 100])));

    ctx.workspace = path.join(root, 'ws');
    const csv = path.join(root, 'labels.csv');
    await call('exportDataset', { destination: csv, format: 'csv', splits: ['test'], bySplit: true });
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('path,label,split');
    expect(lines).toHaveLength(101);
    expect(lines.slice(1).every((l) => l.endsWith(',test') && existsSync(l.split(',')[0]))).toBe(true);
    await expect(call('exportDataset', { destination: csv, format: 'csv' })).rejects.toMatchObject({ code: 'conflict', field: 'destination' });
  });
});
