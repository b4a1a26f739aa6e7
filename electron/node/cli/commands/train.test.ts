/** `train` refuses what it cannot do before it writes anything: no run row, no workspace folder. */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar } from '../../import/testing/hostileFolder.js';
import { openWorkspaceDb } from '../../storage/db.js';
import { tempDir } from '../../storage/testing/fixtures.js';
import { runCliCaptured as cli } from '../testing/runCliCaptured.js';

let root: string;
let workspace: string;

function runCount(): number {
  const db = openWorkspaceDb(workspace, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  root = tempDir('studio-cli-train-');
  const images = path.join(root, 'images');
  for (const cls of ['cat', 'dog']) {
    for (const file of readdirSync(path.join(cifar, cls)).sort().slice(0, 10)) cpSync(path.join(cifar, cls, file), path.join(images, cls, file));
  }
  workspace = path.join(root, 'ws');
  expect((await cli(['import', images, '--workspace', workspace])).code).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('train refuses before it writes', () => {
  it.each([
    [['--epochs', '0'], '--epochs: "0" is not accepted: Too small: expected number to be >=1'],
    [['--epochs', 'many'], '--epochs: "many" is not a number'],
    [['--optimizer', 'foo'], '--optimizer: "foo" is not accepted: Invalid option: expected one of "sgd"|"adam"'],
    [['--batch-size', '1'], '--batch-size: "1" is not accepted'],
    [['--padding=40'], '--padding: "40" is not accepted: Too big'],
    [['--resize', 'stretch'], '--resize: "stretch" is not accepted: Invalid option: expected one of "squash"|"centre-crop"|"letterbox"'],
    [['--augment', 'heavy'], '--augment: "heavy" is not accepted: Invalid option: expected one of "auto"|"cifar"|"photo"'],
    [['--threads', '0'], '--threads: "0" is not a positive whole number'],
  ])('a bad command line %j: exit 2, the option named once, no run', async (args, message) => {
    const result = await cli(['train', '--workspace', workspace, '--model', 'lite-16', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`attention-studio train: ${message}`);
    expect(result.stderr).not.toContain('train: train');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(runCount()).toBe(0);
  });

  it('an unknown model: exit 2, naming the variants', async () => {
    const result = await cli(['train', '--workspace', workspace, '--model', 'nonsense']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^attention-studio train: --model: "nonsense" is not a model variant \(choose .*lite-16/);
    expect(runCount()).toBe(0);
  });

  it('a batch larger than the training images: refused, and no failed run left behind', async () => {
    const result = await cli(['train', '--workspace', workspace, '--model', 'lite-16', '--epochs', '1', '--batch-size', '1000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--batch-size: the workspace has \d+ training images, fewer than one batch of 1000/);
    expect(runCount()).toBe(0);
  });

  it('a workspace that does not exist: refused, and not created', async () => {
    const typo = path.join(root, 'wss');
    const result = await cli(['train', '--workspace', typo, '--model', 'lite-16', '--epochs', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`--workspace: ${typo} is not a studio workspace`);
    expect(existsSync(typo)).toBe(false);
  });
});
