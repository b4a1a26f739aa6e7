/**
 * The packaged app run with plain Node: app.asar extracted next to its unpacked files, then the
 * command line's `info` and every native module loaded from that copy alone.
 */
import { extractAll } from '@electron/asar';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeModulesAbove } from './layout.js';

/** Extracts `resources/app.asar` (unpacked files included) into `dir`, emptied first. */
export function extractPayload(resourcesDir: string, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  extractAll(path.join(resourcesDir, 'app.asar'), dir);
  const borrowed = nodeModulesAbove(dir);
  if (borrowed) throw new Error(`the payload at ${dir} could load modules from ${borrowed}; extract it elsewhere`);
}

/** Runs Node on the payload with nothing from the project on its module path. */
function runNode(payload: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'attention-studio-payload-home-'));
  try {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, ATTENTION_STUDIO_HOME: home };
    delete childEnv.NODE_PATH;
    delete childEnv.NODE_OPTIONS; // tsx registers its loader there
    return execFileSync(process.execPath, args, { cwd: payload, env: childEnv, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface BackendReport {
  name: string;
  available: boolean;
  reason: string;
}

export interface InfoReport {
  version: string;
  backends: BackendReport[];
  selectedBackend: string;
}

/** `attention-studio info --json` from the payload: versions and which tfjs backends load. */
export function payloadInfo(payload: string, env: NodeJS.ProcessEnv = {}): InfoReport {
  return JSON.parse(runNode(payload, ['bin/attention-studio.js', 'info', '--json'], env)) as InfoReport;
}

/**
 * Loads each native module from the payload and makes it work once: SQLite answers a query, sharp
 * encodes an image with libvips, ONNX Runtime runs a one-node model, Dawn's addon loads (finding a GPU
 * is not asked for), tfjs-node's
 * binding when they are installed. Returns one line per module, ending with where Node found it.
 */
export function loadNativeModules(payload: string, modules: { dawn: boolean; tfjsNode: boolean }): string[] {
  const script = `
    import { createRequire } from 'node:module';
    import { pathToFileURL } from 'node:url';
    const require = createRequire(pathToFileURL(process.cwd() + '/package.json'));
    const lines = [];
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    lines.push('better-sqlite3: SQLite ' + db.prepare('SELECT sqlite_version() AS v').get().v + ' from ' + require.resolve('better-sqlite3'));
    db.close();
    const sharp = require('sharp');
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3a6' } }).png().toBuffer();
    lines.push('sharp: libvips ' + sharp.versions.vips + ', a ' + png.length + '-byte PNG, from ' + require.resolve('sharp'));
    // ONNX Runtime runs a one-node model written with onnx-proto, both as the payload has them.
    const ort = require('onnxruntime-node');
    const { onnx } = require('onnx-proto');
    const tensorType = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } };
    const model = onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: tensorType }], output: [{ name: 'y', type: tensorType }] },
    })).finish();
    const session = await ort.InferenceSession.create(model);
    const y = (await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 2]), [2]) })).y.data;
    if (y[0] !== 0 || y[1] !== 2) throw new Error('ONNX Runtime computed ' + Array.from(y));
    await session.release();
    lines.push('onnxruntime-node: ONNX Runtime ' + ort.env.versions.common + ' ran a model, from ' + require.resolve('onnxruntime-node'));
    if (${modules.dawn}) {
      const dawn = await import(pathToFileURL(require.resolve('webgpu')).href);
      if (typeof dawn.create !== 'function') throw new Error('webgpu loaded without create()');
      lines.push('webgpu: Dawn loaded from ' + require.resolve('webgpu'));
    }
    if (${modules.tfjsNode}) {
      const tf = require('@tensorflow/tfjs-node');
      lines.push('@tensorflow/tfjs-node: ' + tf.version['tfjs-node'] + ' from ' + require.resolve('@tensorflow/tfjs-node'));
    }
    console.log(JSON.stringify(lines));
  `;
  const lines = JSON.parse(runNode(payload, ['--input-type=module', '-e', script])) as string[];
  for (const line of lines) {
    const from = line.slice(line.lastIndexOf(' from ') + ' from '.length);
    if (!from.startsWith(payload + path.sep)) throw new Error(`${line}: resolved outside the payload`);
  }
  return lines;
}
