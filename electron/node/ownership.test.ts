/**
 * When a run or an import counts as abandoned: real owner rows in a real workspace database, against
 * real processes (a live child, and one that has exited) on this host, and rows from another host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runConfigSchema } from '../common/contract/runs.js';
import { ownerGone, reapAbandoned, WorkspaceOwner } from './ownership.js';
import { beginImport, getImport } from './storage/imports.js';
import { getOwner, registerOwner, type OwnerRow } from './storage/owners.js';
import { createRunWithSnapshot, getRunRow, snapshotClasses, updateRun } from './storage/runs.js';
import { insertSyntheticImages, tempWorkspace, type TempWorkspace } from './storage/testing/fixtures.js';

let live: ChildProcess;
let exitedPid: number;

beforeAll(async () => {
  live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  const exited = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => exited.once('exit', resolve));
  exitedPid = exited.pid!;
});
afterAll(() => live.kill('SIGKILL'));

let ws: TempWorkspace;
beforeEach(() => {
  ws = tempWorkspace();
  insertSyntheticImages(ws.db, ['cat', 'dog'], 4);
});
afterEach(() => ws.dispose());

const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 8, batchSize: 4 });

/** A run and an import held by an owner with these fields. */
function holding(fields: Partial<OwnerRow>): { owner: OwnerRow; runId: number; importId: number } {
  const now = Date.now();
  const owner: OwnerRow = { id: `owner-${Math.random()}`, host: os.hostname(), pid: live.pid!, startedAt: now, heartbeatAt: now, ...fields };
  registerOwner(ws.db, owner);
  const runId = createRunWithSnapshot(ws.db, 'held', config, snapshotClasses(ws.db), owner.id);
  updateRun(ws.db, runId, { status: 'running' });
  const importId = beginImport(ws.db, '/photos', owner.id);
  return { owner, runId, importId };
}

const statusOf = (held: { runId: number; importId: number }) => [getRunRow(ws.db, held.runId)!.status, getImport(ws.db, held.importId).status];

describe('an owner of runs and imports', () => {
  it.each([
    ['a live process on this host, heard from just now', () => ({}), false],
    ['a live process on this host, silent for longer than the limit (a reused pid, or hung)', () => ({ heartbeatAt: Date.now() - 61_000 }), true],
    ['a process on this host that has exited (kill -9, a crash)', () => ({ pid: exitedPid }), true],
    ['this process, however long silent: it hands back what it holds when it closes', () => ({ pid: process.pid, heartbeatAt: 0 }), false],
    ['a process on another host, heard from 30 s ago', () => ({ host: 'elsewhere.invalid', pid: exitedPid, heartbeatAt: Date.now() - 30_000 }), false],
    ['a process on another host, silent for longer than the limit', () => ({ host: 'elsewhere.invalid', heartbeatAt: Date.now() - 61_000 }), true],
  ])('%s: gone = %s', (_name, fields, gone) => {
    const held = holding(fields());
    expect(ownerGone(getOwner(ws.db, held.owner.id)!, Date.now())).toBe(gone);
    const reaped = reapAbandoned(ws.db);
    if (gone) {
      expect(reaped).toEqual({ runs: [held.runId], imports: [held.importId] });
      expect(statusOf(held)).toEqual(['interrupted', 'interrupted']);
      expect(getOwner(ws.db, held.owner.id)).toBeUndefined();
      expect(getRunRow(ws.db, held.runId)!.ownerId).toBeNull();
    } else {
      expect(reaped).toEqual({ runs: [], imports: [] });
      expect(statusOf(held)).toEqual(['running', 'running']);
      expect(getRunRow(ws.db, held.runId)!.ownerId).toBe(held.owner.id);
    }
  });

  it('marks runs and imports left active without an owner (from before owners were recorded) as interrupted', () => {
    const runId = createRunWithSnapshot(ws.db, 'old', config, snapshotClasses(ws.db));
    updateRun(ws.db, runId, { status: 'paused' });
    const importId = beginImport(ws.db, '/old');
    expect(reapAbandoned(ws.db)).toEqual({ runs: [runId], imports: [importId] });
    expect(statusOf({ runId, importId })).toEqual(['interrupted', 'interrupted']);
  });

  it('leaves finished runs as they are when their owner is gone', () => {
    const held = holding({ pid: exitedPid });
    updateRun(ws.db, held.runId, { status: 'completed' });
    expect(reapAbandoned(ws.db).runs).toEqual([]);
    expect(getRunRow(ws.db, held.runId)).toMatchObject({ status: 'completed', ownerId: null });
  });

  it('keeps its own row fresh with a heartbeat, and hands back what it holds when released', async () => {
    const owner = new WorkspaceOwner(ws.db, { heartbeatMs: 20 });
    const id = owner.register();
    const first = getOwner(ws.db, id)!;
    expect(first).toMatchObject({ host: os.hostname(), pid: process.pid });
    const importId = beginImport(ws.db, '/photos', id);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(getOwner(ws.db, id)!.heartbeatAt).toBeGreaterThan(first.heartbeatAt);
    expect(owner.release()).toEqual({ runs: [], imports: [importId] });
    expect(getImport(ws.db, importId).status).toBe('interrupted');
    expect(getOwner(ws.db, id)).toBeUndefined();
  });

  it('tells its holder when another process took its row away', async () => {
    let lost = 0;
    const owner = new WorkspaceOwner(ws.db, { heartbeatMs: 20, onLost: () => lost++ });
    owner.register();
    ws.db.prepare('DELETE FROM owners WHERE id = ?').run(owner.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lost).toBe(1);
  });
});
