/**
 * `info` and `doctor` as a user meets them: on a machine whose only GPU is SwiftShader, WebGPU is listed
 * as available but not chosen, with the reason; the doctor measures every available backend; and where
 * Dawn finds no Vulkan at all, no command prints Dawn's driver search (it is in the reason instead).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppInfo, DoctorReport } from '../../common/contract/app.js';
import { webgpuSkipReason } from '../../../ml/webgpu/testing.js';
import { runCli } from './main.js';

vi.setConfig({ testTimeout: 300_000 });

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

const ROOT = path.resolve(import.meta.dirname, '../../..');
const skip = await webgpuSkipReason();
if (skip) console.warn(`skipping the software-GPU CLI checks: ${skip}`);

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'studio-doctor-'));
  process.env.ATTENTION_STUDIO_HOME = home;
});
afterAll(() => {
  delete process.env.ATTENTION_STUDIO_HOME;
  rmSync(home, { recursive: true, force: true });
});

describe.skipIf(skip !== null)('on a software GPU', () => {
  it('info --json lists webgpu as available but not selected, and says why', async () => {
    const { code, stdout } = await cli(['info', '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as AppInfo;
    const webgpu = info.backends.find((b) => b.name === 'webgpu')!;
    expect(webgpu).toMatchObject({ available: true, software: true });
    expect(webgpu.device).toMatch(/swiftshader/i);
    expect(webgpu.reason).toContain('used only when asked for by name');
    expect(info.selectedBackend).toBe('wasm');
    expect(info.selectionReason).toContain('webgpu only on a software adapter, not chosen automatically');
  });

  it('doctor --json measures every available backend and names the one a run would use', async () => {
    const { code, stdout } = await cli(['doctor', '--json', '--model', 'lite-16', '--image-size', '8', '--batch-size', '4']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report).toMatchObject({ model: 'lite-16', imageSize: 8, batchSize: 4, selectedBackend: 'wasm' });
    const available = report.backends.filter((b) => b.available);
    expect(available.map((b) => b.name)).toEqual(['webgpu', 'wasm', 'cpu']);
    for (const backend of available) {
      expect(backend.measured?.trainImagesPerSecond, backend.name).toBeGreaterThan(0);
      expect(backend.measured?.inferImagesPerSecond, backend.name).toBeGreaterThan(0);
    }
    expect(report.backends.find((b) => b.name === 'webgpu')!.limits?.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.backends.find((b) => b.name === 'tensorflow')!.enable).toContain('tfjs-node-gpu');
    expect(report.selectionReason).toMatch(/trains this model at [\d.]+ img\/s/);
  });

  it('rejects a bad model or size with a usage error', async () => {
    expect((await cli(['doctor', '--image-size', 'big'])).code).toBe(2);
    const bad = await cli(['doctor', '--model', 'resnet']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not a model variant');
  });
});

describe('start-up without a Vulkan driver', () => {
  it("keeps Dawn's driver search off the terminal and puts it in webgpu's reason", () => {
    const env = { ...process.env };
    delete env.LD_LIBRARY_PATH;
    delete env.VK_ICD_FILENAMES;
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'electron/node/cli/entry.ts', 'info', '--json'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(/Warning:|\.cpp:\d+|vkCreateInstance/);
    const webgpu = (JSON.parse(result.stdout) as AppInfo).backends.find((b) => b.name === 'webgpu')!;
    if (!webgpu.available) expect(webgpu.reason).toMatch(/no GPU adapter|not installed/);
  });
});
