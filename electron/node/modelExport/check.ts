/**
 * Runs the export's checker (checkWorker.ts) in a fresh worker thread: a tfjs of its own in which the
 * studio's layers were never registered, as on a machine without the studio. Images go over in
 * chunks, so a large validation split at a large input size never sits in memory at once.
 */
import { Worker } from 'node:worker_threads';

export type ExportFormat = 'tfjs' | 'onnx';

export interface CheckStart {
  type: 'start';
  folder: string;
  formats: ExportFormat[];
  classes: number;
}

/** Validation images as the studio predicted on them, with what it stored for them. */
export interface CheckChunk {
  type: 'chunk';
  /** uint8 HWC pixels at the model's input size and channels. */
  pixels: Uint8Array;
  count: number;
  predicted: Int32Array;
  probabilities: Float32Array;
}

export interface FormatCheck {
  format: ExportFormat;
  /** The runtime that loaded the files, with its version. */
  runtime: string;
  images: number;
  samePredictions: number;
  maxProbabilityDifference: number;
}

export type CheckReply = { ok: true; checks: FormatCheck[] } | { ok: false; error: string };

function spawnChecker(): Worker {
  const workerData = { kind: 'export-check' };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./checkWorker.js', import.meta.url), { workerData });
  // From source (tests, scripts): tsx's loader first, then the TypeScript entry.
  const entry = new URL('./checkWorker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** One check of one export folder: start, any number of chunks, then `finish` for the totals. */
export class ExportChecker {
  private readonly worker = spawnChecker();
  private failure: Error | null = null;
  private readonly waiting: { resolve: (reply: CheckReply) => void; reject: (error: Error) => void }[] = [];
  /** Loading the files: a folder the stock runtimes cannot load fails here. */
  private readonly started: Promise<FormatCheck[]>;

  constructor(start: Omit<CheckStart, 'type'>) {
    this.worker.on('message', (reply: CheckReply) => this.waiting.shift()?.resolve(reply));
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the export checker stopped (exit code ${code})`)));
    this.started = this.send({ type: 'start', ...start });
    // Awaited by the first check or finish; a failure here must not surface as unhandled first.
    this.started.catch(() => undefined);
  }

  private send(message: CheckStart | CheckChunk | { type: 'finish' }): Promise<FormatCheck[]> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<CheckReply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.worker.postMessage(message);
    return reply.then((r) => {
      if (!r.ok) throw new Error(r.error);
      return r.checks;
    });
  }

  async check(chunk: Omit<CheckChunk, 'type'>): Promise<FormatCheck[]> {
    await this.started;
    return this.send({ type: 'chunk', ...chunk });
  }

  /** The totals over every chunk; ends the worker. */
  async finish(): Promise<FormatCheck[]> {
    try {
      await this.started;
      return await this.send({ type: 'finish' });
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the export checker was closed');
    await this.worker.terminate();
  }
}
