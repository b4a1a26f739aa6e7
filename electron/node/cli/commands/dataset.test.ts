import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar } from '../../import/testing/hostileFolder.js';
import { tempDir } from '../../storage/testing/fixtures.js';
import { runCli } from '../main.js';

async function cli(args: string[], isTTY = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await runCli(args, { stdout: out, stderr: err, isTTY });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

let root: string;
let images: string;
let workspace: string;

beforeAll(() => {
  root = tempDir('studio-cli-');
  images = path.join(root, 'images');
  for (const cls of ['cat', 'dog']) cpSync(path.join(cifar, cls), path.join(images, cls), { recursive: true });
  // The workspace inside the folder being imported: its files must not be imported as images.
  workspace = path.join(images, 'workspace');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('import and dataset commands', () => {
  it('draws a progress bar on a terminal and prints a human summary', async () => {
    const result = await cli(['import', images, '--workspace', workspace], true);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\[[#.]{24}\] \d+\/200/);
    expect(result.stdout).toMatch(/^Imported 200 images in /);
    expect(result.stdout).toContain('0 skipped');
  });

  it('prints counts per class and split as one JSON document', async () => {
    const result = await cli(['dataset', '--workspace', workspace, '--json']);
    expect(result.code).toBe(0);
    const counts = JSON.parse(result.stdout) as { classes: Record<string, { total: number; train: number; val: number; test: number }> };
    expect(counts.classes).toEqual({
      cat: { total: 100, train: 80, val: 10, test: 10, unsure: 0, excluded: 0 },
      dog: { total: 100, train: 80, val: 10, test: 10, unsure: 0, excluded: 0 },
    });
  });

  it('sets split ratios and locks the test split', async () => {
    const result = await cli(['dataset', 'split', '--train', '0.7', '--val', '0.2', '--test', '0.1', '--lock-test', '--workspace', workspace, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ splits: { train: 0.7, val: 0.2, test: 0.1, testLocked: true }, all: { train: 140, val: 40, test: 20 } });
  });

  it('rejects a bad ratio naming the option', async () => {
    const result = await cli(['dataset', 'split', '--val', 'lots', '--workspace', workspace]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--val: "lots" is not a ratio between 0 and 1');
  });

  it('lists the imports and excludes one, naming a bad ID', async () => {
    const listed = await cli(['dataset', 'imports', '--workspace', workspace, '--json']);
    expect(listed.code).toBe(0);
    const { imports } = JSON.parse(listed.stdout) as { imports: { id: number; status: string; images: number; source: string }[] };
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ status: 'completed', images: 200, source: images });
    const excluded = await cli(['dataset', 'exclude-import', String(imports[0].id), '--workspace', workspace, '--json']);
    expect(JSON.parse(excluded.stdout)).toEqual({ importId: imports[0].id, changed: 200 });
    const counts = JSON.parse((await cli(['dataset', '--workspace', workspace, '--json'])).stdout) as { all: { excluded: number } };
    expect(counts.all.excluded).toBe(200);
    const bad = await cli(['dataset', 'exclude-import', '99', '--workspace', workspace]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/importId: no import with id 99/);
  });

  it('names a missing folder', async () => {
    const result = await cli(['import', path.join(root, 'missing'), '--workspace', workspace, '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/folder: .*missing does not exist/);
  });
});
