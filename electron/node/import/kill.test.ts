/**
 * kill -9 in the middle of an import: the database must pass integrity_check, hold only complete
 * images, the killed import must show as interrupted, and a rerun must finish the job without
 * duplicates and with every class split by the ratios, also the classes the killed import completed.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/main.js';
import { integrityCheck, openWorkspaceDb } from '../storage/db.js';
import { classCounts } from '../storage/images.js';
import { listImports } from '../storage/imports.js';
import { provisionalStrata } from '../storage/splits.js';
import { tempWorkspace } from '../storage/testing/fixtures.js';
import { importImages } from './importer.js';
import { cifar } from './testing/hostileFolder.js';

const child = fileURLToPath(new URL('./testing/importChild.ts', import.meta.url));

function importUntilKilled(workspace: string, killAfter: number): Promise<{ signal: NodeJS.Signals | null; lastSeen: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, workspace, cifar], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lastSeen = 0;
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { imported?: number; done?: number };
      lastSeen = message.imported ?? lastSeen;
      if (lastSeen >= killAfter && proc.exitCode === null) proc.kill('SIGKILL');
    });
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => resolve({ signal, lastSeen }));
  });
}

async function cliJson(args: string[]): Promise<unknown> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  expect(await runCli(args, { stdout, stderr: new PassThrough(), isTTY: false })).toBe(0);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

describe('an import killed with SIGKILL', () => {
  it('leaves a sound database, and a rerun completes it with no duplicates', async () => {
    const ws = tempWorkspace();
    ws.db.close(); // the child writes; this process only looks afterwards
    try {
      const { signal } = await importUntilKilled(ws.dir, 300);
      expect(signal).toBe('SIGKILL');

      const db = openWorkspaceDb(ws.dir);
      try {
        expect(integrityCheck(db)).toBe('ok');
        expect(db.pragma('foreign_key_check')).toEqual([]);
        const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
        const partial = count('SELECT count(*) AS n FROM images');
        expect(partial).toBeGreaterThan(0);
        expect(partial).toBeLessThan(1000);
        // Never half an image: every stored image has its thumbnail, pixels and source.
        expect(count('SELECT count(*) AS n FROM thumbnails')).toBe(partial);
        expect(count('SELECT count(*) AS n FROM training_cache')).toBe(partial);
        expect(count('SELECT count(DISTINCT image_id) AS n FROM image_sources')).toBe(partial);

        // Its process is gone: listing the imports shows it interrupted, not running.
        const listed = await cliJson(['dataset', 'imports', '--workspace', ws.dir, '--json']);
        expect(listed).toEqual({ imports: [expect.objectContaining({ id: 1, status: 'interrupted', images: partial, finishedAt: expect.any(Number) })] });
        // The classes it finished have provisional splits; so far nothing rebalanced them.
        const completeClasses = classCounts(db).classes.filter((c) => c.total === 100).map((c) => c.name);
        expect(completeClasses.length).toBeGreaterThan(0);

        const rerun = await importImages(db, { folder: cifar, workspace: ws.dir });
        expect(rerun.unchanged).toBe(partial);
        expect(rerun.imported).toBe(1000 - partial);
        expect(rerun.duplicates).toBe(0);
        expect(count('SELECT count(*) AS n FROM images')).toBe(1000);
        expect(count('SELECT count(DISTINCT content_hash) AS n FROM images')).toBe(1000);
        expect(count('SELECT count(*) AS n FROM image_sources')).toBe(1000);
        expect(integrityCheck(db)).toBe('ok');
        // Every class split 80/10/10, whichever import brought its images in.
        for (const c of classCounts(db).classes) expect([c.name, c.train, c.val, c.test]).toEqual([c.name, 80, 10, 10]);
        expect(provisionalStrata(db)).toEqual([]);
        expect(listImports(db).map((i) => i.status)).toEqual(['completed', 'interrupted']);
      } finally {
        db.close();
      }
    } finally {
      ws.dispose();
    }
  });
});
