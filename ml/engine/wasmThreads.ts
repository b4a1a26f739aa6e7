/**
 * Multi-threaded tfjs WASM under Node. tfjs 4.22 hard-codes `WASM_HAS_MULTITHREAD_SUPPORT` to false
 * under Node (tfjs issue #3830), so `setThreadsCount` does nothing there. Three things stand in the way,
 * each worked around here for the duration of the backend's initialisation only:
 *
 * 1. The flag: set to true, so the threaded-SIMD build is loaded.
 * 2. The loader hands Emscripten its pthread worker as a Blob URL, which Node's `Worker` cannot load.
 *    `URL.createObjectURL` returns a file instead, holding the same worker script plus a hook that
 *    loads the (Blob-wrapped) module factory from the package's own file.
 * 3. The C++ side caps the pool at logical cores / 2, which is one thread on a 2-core machine.
 *    `os.cpus()` reports enough cores for the requested count while the pool is created.
 *
 * Browsers need none of this: there tfjs enables threads itself on cross-origin-isolated pages.
 */
import * as tf from '@tensorflow/tfjs';
import type * as NodeOs from 'node:os';

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Runs `init` (which must initialise the wasm backend) with threads enabled for Node. Returns a reason
 * when threads could not be prepared; `init` then still runs, single-threaded.
 */
export async function withNodeWasmThreads<T>(threads: number, init: () => Promise<T>): Promise<{ result: T; problem: string | null }> {
  if (!isNode() || threads <= 1) return { result: await init(), problem: null };
  let workerFile: string;
  let os: typeof NodeOs;
  try {
    os = (await import('node:os')).default;
    workerFile = await writeWorkerFile();
  } catch (error) {
    return { result: await init(), problem: `could not prepare the WASM thread worker: ${(error as Error).message}` };
  }
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  URL.createObjectURL = () => workerFile;
  os.cpus = () => {
    const real = cpus();
    const wanted = Math.max(real.length, 2 * threads);
    return Array.from({ length: wanted }, (_, i) => real[i % real.length]);
  };
  try {
    return { result: await init(), problem: null };
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
}

let workerFilePromise: Promise<string> | null = null;

async function writeWorkerFile(): Promise<string> {
  workerFilePromise ??= (async () => {
    const [{ createRequire }, fs, path, os, crypto] = await Promise.all([
      import('node:module'), import('node:fs'), import('node:path'), import('node:os'), import('node:crypto'),
    ]);
    const require = createRequire(import.meta.url);
    const factoryFile = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
      wasmWorkerContents: string;
    };
    // The worker source sits in a template literal whose "\n" escapes became real newlines inside
    // string literals; tfjs escapes them again before making its Blob, and so must we.
    const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
    // The worker's `load` message carries the module factory as a Blob, which it imports through a
    // blob: URL that Node's file-reading importScripts cannot open. Read the same factory from disk.
    const hook = `;(function(){var load=global.importScripts;global.importScripts=function(f){` +
      `return load(String(f).startsWith('blob:')?${JSON.stringify(factoryFile)}:f)}})();\n`;
    const contents = workerSource + '\n' + hook;
    const digest = crypto.createHash('sha256').update(contents).digest('hex').slice(0, 16);
    // .cjs: the worker script is CommonJS, whatever the nearest package.json says.
    const file = path.join(os.tmpdir(), `attention-studio-tfjs-wasm-worker-${digest}.cjs`);
    if (!fs.existsSync(file)) {
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, contents);
      fs.renameSync(partial, file);
    }
    return file;
  })();
  try {
    return await workerFilePromise;
  } catch (error) {
    workerFilePromise = null;
    throw error;
  }
}

interface PThreadRegistry {
  PThread?: { runningWorkers?: { unref?: () => void }[]; unusedWorkers?: { unref?: () => void }[] };
}

/**
 * Lets Node exit while the WASM thread pool is alive. Emscripten `ref()`s a worker while it runs a
 * pthread, and XNNPACK's pool threads never return, so without this a script that trained on two
 * threads would never end.
 */
export function unrefWasmThreads(wasmModule: unknown): void {
  const threads = (wasmModule as PThreadRegistry).PThread;
  for (const worker of [...(threads?.runningWorkers ?? []), ...(threads?.unusedWorkers ?? [])]) worker.unref?.();
}
