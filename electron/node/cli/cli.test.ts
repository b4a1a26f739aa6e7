import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from './main.js';

async function cli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await runCli(args, { stdout, stderr, isTTY: false });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('attention-studio CLI', () => {
  it('info --json reports versions, platform and every backend with a reason', async () => {
    const { code, stdout } = await cli(['info', '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown> & { backends: { name: string; available: boolean; reason: string }[] };
    expect(info).toMatchObject({ node: process.versions.node, platform: process.platform });
    expect(typeof info.version).toBe('string');
    expect(info.backends.map((b) => b.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    for (const backend of info.backends) {
      expect(typeof backend.available).toBe('boolean');
      expect(backend.reason.length).toBeGreaterThan(5);
    }
    const selected = info.backends.find((b) => b.name === info.selectedBackend);
    expect(selected?.available).toBe(true);
  });

  it('honours a forced backend, and refuses an unknown one in one line', async () => {
    const forced = await cli(['info', '--json', '--backend', 'cpu']);
    expect(JSON.parse(forced.stdout)).toMatchObject({ selectedBackend: 'cpu', selectionReason: 'requested explicitly' });
    const bad = await cli(['info', '--backend', 'tpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--backend');
  });

  it.each([
    [['nonsense'], 'unknown command'],
    [['info', '--no-such-flag'], "Unknown option '--no-such-flag'"],
    [['serve', '--port', 'eighty'], 'attention-studio serve: --port: "eighty" is not a port number'],
    [['serve', '--port', '70000'], '--port: "70000"'],
    [['serve', '--port=-1'], '--port: "-1" is not a port number'],
    [['serve', '--port', '1e3'], '--port: "1e3"'],
    [['train', '--model', 'lite-16', '--epochs', '0', '--workspace', path.join(os.tmpdir(), 'studio-never-created')], 'attention-studio train: --epochs: "0" is not accepted'],
  ])('exits 2 (a bad command line) with a one-line message for %j', async (args, text) => {
    const { code, stderr, stdout } = await cli(args);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(text);
    expect(stdout).toBe('');
  });
});
