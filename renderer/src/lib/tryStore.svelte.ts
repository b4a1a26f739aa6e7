/**
 * The Try view: images to try (paths on the studio's machine, or files this page uploads), their
 * predictions by one run sent in batches, the chosen image's masks, and adding it to the dataset.
 * Changing the run predicts the same images again; a newer request makes older answers stale.
 */
import type { TryAdded, TryImage, TryMasks, TryResult } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';
import type { ColormapName } from './colormaps.js';
import { errorMessage } from './format.js';
import { planBatches, uploadProblem } from './tryPlan.js';

export type TrySource = { kind: 'path'; path: string } | { kind: 'upload'; file: File };

export interface TryItem {
  key: number;
  name: string;
  source: TrySource;
  bytes: number;
  status: 'waiting' | 'predicting' | 'done' | 'error';
  result: Extract<TryResult, { ok: true }> | null;
  error: string | null;
  /** What adding it to the dataset did. */
  added: TryAdded | null;
}

/** A file's bytes as base64, read by the browser itself (a data URL without its prefix). */
function fileAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(new Error(`${file.name}: this browser could not read the file (${reader.error?.message ?? 'unknown error'})`));
    reader.readAsDataURL(file);
  });
}

async function toContract(source: TrySource): Promise<TryImage> {
  if (source.kind === 'path') return { kind: 'path', path: source.path };
  return { kind: 'upload', name: source.file.name, data: await fileAsBase64(source.file) };
}

class TryStore {
  runId = $state<number | null>(null);
  classNames = $state.raw<string[]>([]);
  items = $state.raw<TryItem[]>([]);
  selectedKey = $state<number | null>(null);
  /** A folder being listed, before its files are tried. */
  listing = $state(false);
  running = $state(false);
  /** A failure of the whole request (no checkpoint, lost connection), not of one file. */
  error = $state<string | null>(null);
  /** What a listing left out (hidden files, a folder over the limit). */
  note = $state<string | null>(null);

  masks = $state.raw<TryMasks | null>(null);
  loadingMasks = $state(false);
  maskError = $state<string | null>(null);
  stage = $state(0);
  opacity = $state(0.55);
  colormap = $state<ColormapName>('inferno');
  showMask = $state(true);
  stretch = $state(true);

  adding = $state(false);
  addError = $state<string | null>(null);
  undoing = $state(false);
  /** Images excluded again by import id (the Undo of an add). */
  undone = $state.raw<Map<number, number>>(new Map());

  readonly selected = $derived(this.items.find((item) => item.key === this.selectedKey) ?? null);
  readonly finished = $derived(this.items.filter((item) => item.status === 'done' || item.status === 'error').length);
  readonly failed = $derived(this.items.filter((item) => item.status === 'error'));
  readonly predicted = $derived(this.items.filter((item) => item.status === 'done'));

  constructor() {
    // Another workspace: its runs and dataset are not these.
    on('workspace.changed', () => {
      this.clear();
      this.runId = null;
    });
  }

  #nextKey = 1;
  /** Bumped when the run changes or the list is cleared: answers to older requests are dropped. */
  #generation = 0;
  #stopped = false;
  #maskRequest = 0;

  /** Files and folders on the studio's machine: folders are listed first, then their files tried. */
  async addPaths(paths: string[]): Promise<void> {
    const given = paths.map((p) => p.trim()).filter((p) => p !== '');
    if (given.length === 0) return;
    this.error = null;
    this.note = null;
    this.listing = true;
    try {
      // A listing takes at most 1,000 paths (files picked one by one in the desktop window can be more).
      const lists = [];
      for (let i = 0; i < given.length; i += 1000) lists.push(await call('listImagesToTry', { paths: given.slice(i, i + 1000) }));
      const list = {
        files: lists.flatMap((l) => l.files),
        skipped: lists.flatMap((l) => l.skipped),
        hidden: lists.reduce((sum, l) => sum + l.hidden, 0),
        truncated: lists.some((l) => l.truncated),
      };
      const skipped = list.skipped.map((s) => this.#item(s.path.split(/[\\/]/).at(-1) || s.path, { kind: 'path', path: s.path }, 0, s.reason));
      const files = list.files.map((f) => this.#item(f.name, { kind: 'path', path: f.path }, f.bytes));
      this.#append([...files, ...skipped]);
      const notes = [];
      if (list.hidden > 0) notes.push(`${list.hidden} hidden file${list.hidden === 1 ? '' : 's'} left out`);
      if (list.truncated) notes.push(`only the first ${list.files.length.toLocaleString()} files are tried`);
      if (list.files.length === 0 && list.skipped.length === 0) notes.push('no files found there');
      this.note = notes.length > 0 ? `${notes.join('; ')}.` : null;
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.listing = false;
    }
    void this.predict();
  }

  /** Files this page holds (picked or dropped in browser mode): their bytes are uploaded. */
  addFiles(files: File[]): void {
    if (files.length === 0) return;
    this.error = null;
    this.note = null;
    this.#append(files.map((file) => this.#item(file.name, { kind: 'upload', file }, file.size, uploadProblem(file.name, file.size))));
    void this.predict();
  }

  /** Predicts the same images with another run; files that could not be read stay as they are. */
  chooseRun(runId: number): void {
    if (runId === this.runId) return;
    this.runId = runId;
    this.#generation++;
    this.items = this.items.map((item) => (item.status === 'error' ? item : { ...item, status: 'waiting', result: null }));
    void this.predict();
    if (this.selectedKey !== null) void this.loadMasks();
  }

  /** Sends the waiting images in batches until none is left (or Stop); a call while it runs un-stops it. */
  async predict(): Promise<void> {
    this.#stopped = false;
    if (this.running || this.runId === null) return;
    this.running = true;
    try {
      for (;;) {
        const runId = this.runId;
        const generation = this.#generation;
        const waiting = this.items.filter((item) => item.status === 'waiting');
        if (this.#stopped || runId === null || waiting.length === 0) break;
        const [start, end] = planBatches(waiting.map((item) => ({ uploadBytes: item.source.kind === 'upload' ? item.bytes : 0 })))[0]!;
        const keys = new Set(waiting.slice(start, end).map((item) => item.key));
        this.#update(keys, { status: 'predicting' });
        // A file the browser cannot read is that file's error; the others go on.
        const read = await Promise.all(
          waiting.slice(start, end).map((item) => toContract(item.source).then((image) => ({ item, image }), (error: unknown) => ({ item, error }))),
        );
        for (const r of read) if ('error' in r) this.#update(new Set([r.item.key]), { status: 'error', error: errorMessage(r.error) });
        const sent = read.filter((r): r is { item: TryItem; image: TryImage } => 'image' in r);
        if (sent.length === 0) continue;
        try {
          const answer = await call('tryImages', { runId, images: sent.map((r) => r.image) });
          if (generation !== this.#generation) continue;
          this.classNames = answer.classNames;
          const byKey = new Map(sent.map((r, i) => [r.item.key, answer.results[i]!]));
          this.items = this.items.map((item) => {
            const result = byKey.get(item.key);
            if (!result) return item;
            return result.ok ? { ...item, status: 'done', result, error: null } : { ...item, status: 'error', result: null, error: result.error };
          });
          if (this.selectedKey === null) {
            const first = this.items.find((item) => item.status === 'done');
            if (first) this.select(first.key);
          }
        } catch (error) {
          if (generation !== this.#generation) continue;
          // The whole request failed (the run has no checkpoint, the connection dropped): say so once and stop.
          this.#update(new Set(sent.map((r) => r.item.key)), { status: 'waiting' });
          this.error = errorMessage(error);
          break;
        }
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  clear(): void {
    this.#generation++;
    this.items = [];
    this.selectedKey = null;
    this.masks = null;
    this.error = null;
    this.note = null;
    this.addError = null;
  }

  select(key: number): void {
    if (key === this.selectedKey) return;
    this.selectedKey = key;
    this.addError = null;
    void this.loadMasks();
  }

  async loadMasks(): Promise<void> {
    const item = this.selected;
    const runId = this.runId;
    const request = ++this.#maskRequest;
    this.masks = null;
    this.maskError = null;
    if (!item || runId === null || item.status === 'error') return;
    this.loadingMasks = true;
    try {
      const masks = await call('tryImageMasks', { runId, image: await toContract(item.source) });
      if (request !== this.#maskRequest) return;
      this.masks = masks;
      this.stage = Math.min(this.stage, masks.masks.length - 1);
    } catch (error) {
      if (request === this.#maskRequest) this.maskError = errorMessage(error);
    } finally {
      if (request === this.#maskRequest) this.loadingMasks = false;
    }
  }

  /** Imports the chosen image into the dataset, in a class (by name) or unlabelled. */
  async addToDataset(label: string | null): Promise<void> {
    const item = this.selected;
    if (!item || this.adding) return;
    this.adding = true;
    this.addError = null;
    try {
      const added = await call('addTriedImage', { image: await toContract(item.source), label });
      this.items = this.items.map((i) => (i.key === item.key ? { ...i, added } : i));
    } catch (error) {
      this.addError = errorMessage(error);
    } finally {
      this.adding = false;
    }
  }

  /** Excludes what an add imported, as one label edit (the Dataset view's Undo brings it back). */
  async undoAdd(importId: number): Promise<void> {
    if (this.undoing) return;
    this.undoing = true;
    this.addError = null;
    try {
      const { changed } = await call('excludeImport', { importId });
      this.undone = new Map(this.undone).set(importId, changed);
    } catch (error) {
      this.addError = errorMessage(error);
    } finally {
      this.undoing = false;
    }
  }

  #item(name: string, source: TrySource, bytes: number, error: string | null = null): TryItem {
    return { key: this.#nextKey++, name, source, bytes, status: error ? 'error' : 'waiting', result: null, error, added: null };
  }

  #append(items: TryItem[]): void {
    this.items = [...this.items, ...items];
  }

  #update(keys: Set<number>, change: Partial<TryItem>): void {
    this.items = this.items.map((item) => (keys.has(item.key) ? { ...item, ...change } : item));
  }
}

export const tryStore = new TryStore();
