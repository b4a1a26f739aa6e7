/** `import` as a terminal shows it: file and folder names cannot write to the terminal, and a failed import leaves nothing. */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar } from '../../import/testing/hostileFolder.js';
import { tempDir } from '../../storage/testing/fixtures.js';
import { runCliCaptured as cli } from '../testing/runCliCaptured.js';

const posix = process.platform !== 'win32';
let root: string;

beforeAll(() => {
  root = tempDir('studio-cli-import-');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('import report on a terminal', () => {
  it.runIf(posix)('shows control characters in file and class names as escapes, one report line per file', async () => {
    const images = path.join(root, 'hostile');
    const cat = path.join(images, 'cat\x1b[2J');
    mkdirSync(cat, { recursive: true });
    mkdirSync(path.join(images, 'dog'));
    copyFileSync(path.join(cifar, 'cat', '0001.jpg'), path.join(cat, '0001.jpg'));
    copyFileSync(path.join(cifar, 'dog', '0001.jpg'), path.join(images, 'dog', '0001.jpg'));
    writeFileSync(path.join(images, 'dog', 'evil\x1b]0;pwned\x07.jpg'), 'not an image');
    writeFileSync(path.join(images, 'dog', 'a\n  skipped: forged.jpg: forged'), 'not an image either');

    const result = await cli(['import', images, '--workspace', path.join(root, 'ws-hostile')]);
    expect(result.code).toBe(0);
    expect([...result.stdout].filter((ch) => ch !== '\n' && (ch < ' ' || ch === '\x7f'))).toEqual([]);
    const lines = result.stdout.trimEnd().split('\n');
    // Files are decoded concurrently, so the skipped ones are reported in no fixed order.
    expect(lines.filter((l) => l.startsWith('  skipped: ')).sort()).toEqual([
      `  skipped: ${images}/dog/a\\n  skipped: forged.jpg: forged: not an image (the content is not JPEG, PNG, WEBP, GIF, TIFF, BMP)`,
      `  skipped: ${images}/dog/evil\\x1b]0;pwned\\x07.jpg: not an image (the content is not JPEG, PNG, WEBP, GIF, TIFF, BMP)`,
    ]);
    expect(lines).toContain('  cat\\x1b[2J: 1');
  });

  it('escapes control characters in an error message, which stays one line', async () => {
    const result = await cli(['import', path.join(root, 'no\x1b]0;t\x07such\nfolder'), '--workspace', path.join(root, 'ws-err')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('no\\x1b]0;t\\x07such\\nfolder');
  });
});

describe('a failed import', () => {
  it.each([
    ['a folder that does not exist', (ws: string) => ['import', path.join(root, 'nonexistent'), '--workspace', ws]],
    ['a file instead of a folder', (ws: string) => ['import', path.join(cifar, 'cat', '0001.jpg'), '--workspace', ws]],
    ['a CSV that does not exist', (ws: string) => ['import', '--csv', path.join(root, 'missing.csv'), '--workspace', ws]],
  ])('from %s creates no workspace', async (_label, args) => {
    const workspace = path.join(root, `new-${Math.random().toString(36).slice(2)}`);
    const result = await cli(args(workspace));
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(existsSync(workspace)).toBe(false);
  });
});

describe('import --split', () => {
  it('puts every new image of the folder in the chosen split, and says so', async () => {
    const folder = path.join(root, 'validation-set');
    mkdirSync(path.join(folder, 'cat'), { recursive: true });
    for (const file of ['0001.jpg', '0002.jpg', '0003.jpg']) copyFileSync(path.join(cifar, 'cat', file), path.join(folder, 'cat', file));
    const workspace = path.join(root, 'ws-split');
    const human = await cli(['import', folder, '--split', 'validation', '--workspace', workspace]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Imported 3 images');
    expect(human.stdout).toContain('all in the val split');
    const counts = await cli(['dataset', '--workspace', workspace, '--json']);
    expect(JSON.parse(counts.stdout).all).toMatchObject({ train: 0, val: 3, test: 0 });
  });

  it('refuses a split that does not exist before creating anything', async () => {
    const workspace = path.join(root, 'ws-bad-split');
    const result = await cli(['import', cifar, '--split', 'holdout', '--workspace', workspace]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--split: "holdout" is not a split (train, val or test)');
    expect(existsSync(workspace)).toBe(false);
  });
});
