/**
 * `label-issues` on the CIFAR-10 mini set (1,000 real photos, 10 classes) with a small budget: every
 * image gets an out-of-sample prediction, the ranked issues come out as JSON with the accuracy behind
 * them, and bad options are refused naming the option before anything runs.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar } from '../../import/testing/hostileFolder.js';
import { openWorkspaceDb } from '../../storage/db.js';
import { tempDir } from '../../storage/testing/fixtures.js';
import { runCliCaptured as cli } from '../testing/runCliCaptured.js';

let root: string;
let workspace: string;

beforeAll(async () => {
  root = tempDir('studio-cli-issues-');
  workspace = path.join(root, 'ws');
  expect((await cli(['import', cifar, '--workspace', workspace])).code).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('label-issues refuses bad options', () => {
  it.each([
    [['--folds', '1'], '--folds: "1" is not a whole number of at least 2'],
    [['--folds', 'x'], '--folds: "x" is not a whole number'],
    [['--model', 'huge-9'], '--model: "huge-9" is not a model variant'],
    [['--max-minutes', '0'], '--max-minutes: "0" is not a positive number'],
  ])('%j', async (args, message) => {
    const result = await cli(['label-issues', '--workspace', workspace, ...args, '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    const db = openWorkspaceDb(workspace, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM label_issue_jobs').get() as { n: number }).n).toBe(0);
    db.close();
  });

  it('names --workspace when it is missing', async () => {
    const result = await cli(['label-issues', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--workspace');
  });

  it('refuses to resume a job that does not exist, naming it', async () => {
    const result = await cli(['label-issues', '--workspace', workspace, '--resume', '77', '--json']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/jobId: label-issue job 77 does not exist/);
  });
});

it('ranks the CIFAR-10 mini set\'s labels by out-of-sample confident learning within a small budget', async () => {
  const result = await cli(['label-issues', '--workspace', workspace, '--folds', '2', '--image-size', '16', '--epochs', '2', '--max-minutes', '4', '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout) as {
    status: string; folds: number; images: number; out_of_sample_accuracy: number; low_accuracy_warning: boolean;
    issues: { path: string; given: string; suggested: string; score: number }[];
  };
  expect(report).toMatchObject({ status: 'completed', folds: 2, images: 1000 });
  // Ten classes: chance is 10 %; a tiny model on 500 images per fold does better, but far from trustworthy.
  expect(report.out_of_sample_accuracy).toBeGreaterThan(0.12);
  expect(report.low_accuracy_warning).toBe(report.out_of_sample_accuracy < 0.7);
  expect(report.issues.length).toBeGreaterThan(0);
  for (const issue of report.issues) {
    expect(existsSync(issue.path)).toBe(true);
    expect(path.basename(path.dirname(issue.path))).toBe(issue.given);
    expect(issue.suggested).not.toBe(issue.given);
  }
  for (let i = 1; i < report.issues.length; i++) expect(report.issues[i - 1]!.score).toBeGreaterThanOrEqual(report.issues[i]!.score);
}, 300_000);
