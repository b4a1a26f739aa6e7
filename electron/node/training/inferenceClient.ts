/** The studio's side of the inference worker: typed requests, one worker per workspace, started on first use. */
import type { Worker } from 'node:worker_threads';
import type { ImageMasks, ModelExportFormat, ModelExportReport, RunEvaluation } from '../../common/contract/runs.js';
import { StudioError, type ErrorCode } from '../../common/errors.js';
import type { FilePrediction, InferenceMessage, InferenceRequest, TriedImage, TriedMasks, TryInput } from './protocol.js';
import { spawnMlWorker, stopMlWorker } from './workerHost.js';

type Pending = {
  /** The worker the request went to: only its own end fails it. */
  worker: Worker;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (done: number, total: number) => void;
};
type RequestBody = InferenceRequest extends infer R ? (R extends InferenceRequest ? Omit<R, 'id'> : never) : never;

export class InferenceClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly workspace: string,
    private readonly options: { backend?: string; threads?: number } = {},
  ) {}

  evaluate(runId: number, split: 'train' | 'val' | 'test', onProgress?: (done: number, total: number) => void): Promise<RunEvaluation> {
    return this.request({ task: 'evaluate', runId, split }, onProgress) as Promise<RunEvaluation>;
  }

  masks(runId: number, imageId: number): Promise<ImageMasks> {
    return this.request({ task: 'masks', runId, imageId }) as Promise<ImageMasks>;
  }

  predictFiles(runId: number, files: string[]): Promise<FilePrediction[]> {
    return this.request({ task: 'predictFiles', runId, files }) as Promise<FilePrediction[]>;
  }

  /** A batch of images to try, predicted in one request. */
  tryImages(runId: number, images: TryInput[]): Promise<TriedImage[]> {
    return this.request({ task: 'tryImages', runId, images }) as Promise<TriedImage[]>;
  }

  tryMasks(runId: number, image: TryInput, maxSide: number): Promise<TriedMasks> {
    return this.request({ task: 'tryMasks', runId, image, maxSide }) as Promise<TriedMasks>;
  }

  /** Writes the run's model to `folder` and checks it (see modelExport/exportRun.ts). */
  exportModel(runId: number, folder: string, format: ModelExportFormat = 'both', onProgress?: (done: number, total: number) => void): Promise<ModelExportReport> {
    return this.request({ task: 'export', runId, folder, format }, onProgress) as Promise<ModelExportReport>;
  }

  /** Predicts every unlabelled image with the run's model and stores the predictions as suggestions. */
  suggest(runId: number, onProgress?: (done: number, total: number) => void): Promise<{ runId: number; images: number }> {
    return this.request({ task: 'suggest', runId }, onProgress) as Promise<{ runId: number; images: number }>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await stopMlWorker(worker);
  }

  private request(body: RequestBody, onProgress?: (done: number, total: number) => void): Promise<unknown> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    // Keep the process alive while a request is out; an idle worker must not hold a CLI open.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject, ...(onProgress ? { onProgress } : {}) });
      worker.postMessage({ ...body, id } as InferenceRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = spawnMlWorker({ kind: 'inference', workspace: this.workspace, ...this.options });
    worker.on('message', (message: InferenceMessage) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if ('progress' in message) {
        pending.onProgress?.(message.progress.done, message.progress.total);
        return;
      }
      this.pending.delete(message.id);
      if (![...this.pending.values()].some((p) => p.worker === worker)) worker.unref();
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new StudioError(message.error.code as ErrorCode, message.error.message, message.error.field === undefined ? undefined : { field: message.error.field }));
    });
    // A worker that ends fails the requests it had, not those already sent to its successor (a
    // closed worker's exit arrives after the next request has started a new one).
    const failAll = (reason: string) => {
      for (const [id, pending] of this.pending) {
        if (pending.worker !== worker) continue;
        this.pending.delete(id);
        pending.reject(new StudioError('internal', reason));
      }
      if (this.worker === worker) this.worker = null;
    };
    worker.on('error', (error) => failAll(`The inference worker failed: ${error.message}`));
    worker.on('exit', (code) => failAll(`The inference worker exited (code ${code})`));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
