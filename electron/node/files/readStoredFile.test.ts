import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../storage/testing/fixtures.js';
import { concurrencyLimit, readStoredFile, UnreadableFileError, withDeadline } from './readStoredFile.js';

const posix = process.platform !== 'win32';
const limits = { maxBytes: 1024, timeoutMs: 2_000 };
let root: string;

beforeAll(() => {
  root = tempDir('studio-read-stored-');
  writeFileSync(path.join(root, 'small.bin'), Buffer.from([1, 2, 3]));
  writeFileSync(path.join(root, 'large.bin'), Buffer.alloc(1025));
  mkdirSync(path.join(root, 'folder'));
  if (posix) execFileSync('mkfifo', [path.join(root, 'pipe')]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readStoredFile', () => {
  it('reads a regular file', async () => {
    expect([...(await readStoredFile(path.join(root, 'small.bin'), limits))]).toEqual([1, 2, 3]);
  });

  it.runIf(posix)('refuses a FIFO at once, even many at a time (opening one for reading used to wait for a writer)', async () => {
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => readStoredFile(path.join(root, 'pipe'), limits)));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(UnreadableFileError);
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/named pipe \(FIFO\)/);
    }
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it.runIf(posix)('refuses a device that would read forever', async () => {
    await expect(readStoredFile('/dev/zero', limits)).rejects.toThrow(/a device/);
  });

  it('refuses a folder and a file over the size limit, and passes file-system errors through', async () => {
    await expect(readStoredFile(path.join(root, 'folder'), limits)).rejects.toThrow(posix ? /a folder/ : /EISDIR|EPERM/);
    await expect(readStoredFile(path.join(root, 'large.bin'), limits)).rejects.toThrow(/is 1025 bytes, over the 1024 bytes limit/);
    await expect(readStoredFile(path.join(root, 'missing.bin'), limits)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('deadline and concurrency limit', () => {
  it('gives up on work that never settles, and tells the work it was given up on', async () => {
    let expired: (() => boolean) | null = null;
    const started = Date.now();
    await expect(
      withDeadline((isExpired) => {
        expired = isExpired;
        return new Promise<never>(() => {});
      }, 100, 'the file'),
    ).rejects.toThrow('the file did not answer within 100 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(expired!()).toBe(true);
  });

  it('keeps a slot taken until the work itself settles, not when its caller gave up', async () => {
    const limit = concurrencyLimit(2);
    const finish: (() => void)[] = [];
    const stuck = () => limit(() => new Promise<void>((resolve) => finish.push(resolve)));
    void stuck();
    void stuck();
    let thirdRan = false;
    const third = limit(async () => {
      thirdRan = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(thirdRan).toBe(false);
    finish[0]!();
    await third;
    expect(thirdRan).toBe(true);
    finish[1]!();
  });
});
