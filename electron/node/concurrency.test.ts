/**
 * Several processes on one workspace at once, as users do it: CLI imports, opens, trainings and
 * resumes started together on a workspace that does not exist yet. Nothing may be lost or counted
 * twice, no run may be trained by two processes, and the database must stay sound. Real processes
 * (the CLI from source), real images (CIFAR-10 mini), real training (lite-16 at 8x8, one or two epochs).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ImportReport } from '../common/contract/dataset.js';
import { cifar } from './import/testing/hostileFolder.js';
import { integrityCheck, openWorkspaceDb, type Db } from './storage/db.js';
import { classCounts } from './storage/images.js';
import { listImports } from './storage/imports.js';
import { runEpochs } from './storage/runs.js';
import { provisionalStrata } from './storage/splits.js';
import { tempDir } from './storage/testing/fixtures.js';

// Up to five processes on two cores, three of them training: allow minutes.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 60_000 });

const entry = fileURLToPath(new URL('./cli/entry.ts', import.meta.url));

interface Outcome {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

interface Started {
  pid: number;
  kill(): void;
  /** Resolves with the first stdout object that `match` accepts. */
  waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  done: Promise<Outcome>;
}

/** Starts `attention-studio ARGS --workspace WS --json` in its own process. */
function start(workspace: string, args: string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args, '--workspace', workspace, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const watchers: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stdout = createInterface({ input: child.stdout! });
  stdout.on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const watcher of watchers.splice(0)) {
      if (watcher.match(line)) watcher.resolve(line);
      else watchers.push(watcher);
    }
  });
  const closed = new Promise((resolve) => stdout.once('close', resolve));
  const done = new Promise<Outcome>((resolve) => {
    child.once('exit', (code, signal) => void closed.then(() => resolve({ args, code, signal, lines, stderr })));
  });
  return {
    pid: child.pid!,
    kill: () => child.kill('SIGKILL'),
    waitFor: (match) => new Promise((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) resolve(seen);
      else watchers.push({ match, resolve });
      void done.then((outcome) => reject(new Error(`${args.join(' ')} ended (${outcome.code ?? outcome.signal}) first: ${outcome.stderr}`)));
    }),
    done,
  };
}

const last = (outcome: Outcome) => outcome.lines.at(-1)!;
const epochEvents = (outcomes: Outcome[], runId: number) =>
  outcomes.flatMap((o) => o.lines.filter((l) => l.event === 'run.epoch' && l.runId === runId).map((l) => l.epoch as number));

/** `perClass` CIFAR images of each class, from image `offset` on, into class folders under `root`. */
function folderOf(root: string, classes: string[], perClass: number, offset = 0): string {
  for (const name of classes) {
    mkdirSync(path.join(root, name), { recursive: true });
    for (const file of readdirSync(path.join(cifar, name)).sort().slice(offset, offset + perClass)) {
      copyFileSync(path.join(cifar, name, file), path.join(root, name, file));
    }
  }
  return root;
}

const train = ['train', '--model', 'lite-16', '--image-size', '8', '--batch-size', '16', '--backend', 'wasm'];

let root: string;
let workspace: string;
let db: Db;
const everyOutcome: Outcome[] = [];

beforeAll(() => {
  root = tempDir('studio-concurrent-');
  workspace = path.join(root, 'workspace');
});
afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('one workspace, several processes at once', () => {
  it('imports from three processes into a workspace two more are opening: every image once, counted once, splits settled', async () => {
    const a = folderOf(path.join(root, 'a'), ['cat', 'dog'], 40);
    // b shares 20 dogs with a; c is a copy of a (every file a duplicate of one in a).
    const b = folderOf(path.join(root, 'b'), ['dog', 'frog'], 40, 20);
    const c = folderOf(path.join(root, 'c'), ['cat', 'dog'], 40);
    const outcomes = await Promise.all(
      [['import', a], ['import', b], ['import', c], ['dataset'], ['dataset']].map((args) => start(workspace, args).done),
    );
    everyOutcome.push(...outcomes);
    for (const outcome of outcomes) {
      // A `dataset` that runs before any import has created the workspace is refused, and says so; it
      // never creates the workspace itself.
      if (outcome.args[0] === 'dataset' && outcome.code === 1) expect(outcome.stderr).toContain('is not a studio workspace');
      else expect([outcome.args, outcome.code, outcome.stderr]).toEqual([outcome.args, 0, '']);
    }

    db = openWorkspaceDb(workspace);
    const count = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;
    const reports = outcomes.slice(0, 3).map((o) => last(o) as unknown as ImportReport);
    // 80 from a, 20 dogs and 40 frogs new in b; c adds nothing.
    expect(count('SELECT count(*) AS n FROM images')).toBe(140);
    expect(reports.reduce((sum, r) => sum + r.imported, 0)).toBe(140);
    for (const report of reports) expect(report.imported).toBe(count('SELECT count(*) AS n FROM images WHERE import_id = ?', report.importId));
    expect(count('SELECT count(*) AS n FROM image_sources')).toBe(240);
    expect(listImports(db).map((i) => i.status)).toEqual(['completed', 'completed', 'completed']);
    expect(provisionalStrata(db)).toEqual([]);
    const splits = classCounts(db).classes.map((k) => [k.name, k.train, k.val, k.test]);
    expect(splits.sort()).toEqual([
      ['cat', 32, 4, 4],
      ['dog', 48, 6, 6],
      ['frog', 32, 4, 4],
    ]);
    expect(integrityCheck(db)).toBe('ok');
  });

  it('trains two new runs in two processes while a third imports: each run trained once, by one process', async () => {
    const d = folderOf(path.join(root, 'd'), ['ship'], 40);
    const outcomes = await Promise.all([start(workspace, [...train, '--epochs', '1']), start(workspace, [...train, '--epochs', '1']), start(workspace, ['import', d])].map((p) => p.done));
    everyOutcome.push(...outcomes);
    for (const outcome of outcomes) expect([outcome.args, outcome.code, outcome.stderr]).toEqual([outcome.args, 0, expect.any(String)]);
    const runs = outcomes.slice(0, 2).map((o) => last(o) as { run: number; status: string });
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(new Set(runs.map((r) => r.run)).size).toBe(2);
    for (const { run } of runs) {
      expect(epochEvents(everyOutcome, run)).toEqual([1]);
      expect(runEpochs(db, run).map((e) => e.epoch)).toEqual([1]);
    }
    expect((last(outcomes[2]!) as unknown as ImportReport).imported).toBe(40);
  });

  it('resumes a run whose trainer was killed in exactly one of two processes resuming it at once', async () => {
    const killed = start(workspace, [...train, '--epochs', '2']);
    const { runId } = (await killed.waitFor((line) => line.event === 'run.batch')) as { runId: number };
    killed.kill();
    const killedOutcome = await killed.done;
    expect(killedOutcome.signal).toBe('SIGKILL');
    everyOutcome.push(killedOutcome);

    const started = [[...train, '--resume', String(runId)], [...train, '--resume', String(runId)], ['dataset', 'imports']].map((args) => start(workspace, args));
    const outcomes = await Promise.all(started.map((p) => p.done));
    everyOutcome.push(...outcomes);
    const [first, , listing] = outcomes as [Outcome, Outcome, Outcome];
    expect(listing.code).toBe(0);
    const winnerIndex = first.code === 0 ? 0 : 1;
    const [winner, loser] = [outcomes[winnerIndex]!, outcomes[1 - winnerIndex]!];
    expect(winner.code).toBe(0);
    expect(last(winner)).toMatchObject({ run: runId, status: 'completed', epochs: 2 });
    expect(loser.code).toBe(1);
    // Refused while the winner held the run (naming it), or, when it started after the winner had finished, as completed.
    const winnerPid = started[winnerIndex]!.pid;
    expect(loser.stderr).toMatch(new RegExp(`Run ${runId} (is being trained by another process \\(process ${winnerPid}, last heard from|has completed)`));
    expect(loser.lines.some((l) => l.event === 'run.batch')).toBe(false);
    // Every epoch of the run trained once, across every process that ever held it.
    expect(epochEvents(everyOutcome, runId).sort()).toEqual([1, 2]);
    expect(runEpochs(db, runId).map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('leaves a sound database with nothing held and nothing left running', () => {
    expect(integrityCheck(db)).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM owners').get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM runs WHERE status != 'completed' OR owner_id IS NOT NULL").get()).toEqual({ n: 0 });
    expect(listImports(db).map((i) => i.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(db.prepare('SELECT count(*) AS n FROM images').get()).toEqual({ n: 180 });
  });
});
