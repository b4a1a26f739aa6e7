/**
 * The dataset grid's data: the filter, the count of matching images, pages fetched with the keyset
 * cursor as the viewport asks for them, the focused image and the selection.
 *
 * Page p holds positions [p * PAGE, (p + 1) * PAGE). Its cursor (the id after which it starts) is the last
 * id of page p - 1; a jump far ahead first asks for the cursors in between (`imageCursors`, ids only),
 * then fetches the one page on screen. Cursors are kept, so coming back to any page is one request;
 * only MAX_PAGES pages of rows stay in memory.
 * After an edit the pages are refetched from their cursors; when a page no longer ends where the next
 * one starts (images left or entered the filter), the cursors after it are dropped and walked again.
 */
import type { ImageSummary, LabelState, SplitName } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';

export const PAGE = 500;
const MAX_PAGES = 24;

export interface GridFilter {
  /** undefined: any class; null: unlabelled. */
  classId?: number | null;
  split?: SplitName;
  state?: LabelState;
  /** Part of the image's path: its folders or its file name. */
  search?: string;
  /** Images an import brought in. */
  importId?: number;
  prediction?: { runId: number; predicted: number };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class DatasetGrid {
  filter = $state.raw<GridFilter>({});
  /** Images matching the filter; null until the first count of this filter arrives. */
  count = $state<number | null>(null);
  error = $state<string | null>(null);
  /** Rows of the loaded pages; undefined where a page is not in memory. */
  pages = $state.raw<(ImageSummary[] | undefined)[]>([]);
  /** Bumped on every filter change, so views can scroll back to the top. */
  generation = $state(0);

  focusIndex = $state(0);
  /** Explicitly selected ids, or with `allInFilter` the ids taken out of "everything in the filter". */
  selected = $state.raw<ReadonlySet<number>>(new Set());
  allInFilter = $state(false);

  readonly selectedCount = $derived(this.allInFilter ? Math.max(0, (this.count ?? 0) - this.selected.size) : this.selected.size);
  readonly focused = $derived(this.imageAt(this.focusIndex));

  #anchorIndex = 0;
  /** cursors[p]: the id after which page p starts; cursors[0] = 0. */
  #cursors: number[] = [0];
  #stale = new Set<number>();
  /** The last page of the filter, once a page came back without a next cursor. */
  #end: number | null = null;
  #wanted: [number, number] = [0, 0];
  #pumping = false;
  #lastUsed = new Map<number, number>();
  /** Nothing is fetched before the view opens the grid (its viewport is known before its filter). */
  #opened = false;

  constructor() {
    on('dataset.changed', () => void this.refresh());
    on('workspace.changed', () => this.#opened && this.setFilter({}));
  }

  imageAt(index: number): ImageSummary | undefined {
    return this.pages[Math.floor(index / PAGE)]?.[index % PAGE];
  }

  isSelected(imageId: number): boolean {
    return this.allInFilter ? !this.selected.has(imageId) : this.selected.has(imageId);
  }

  /** The view opened: the first time, list everything; later, refresh what was shown (the place is kept). */
  open(): void {
    if (this.#opened) {
      void this.refresh();
      return;
    }
    this.#opened = true;
    this.setFilter({});
  }

  /** A new filter: back to the top, nothing selected. */
  setFilter(filter: GridFilter): void {
    this.filter = filter;
    this.generation++;
    this.#cursors = [0];
    this.#end = null;
    this.#stale.clear();
    this.#lastUsed.clear();
    this.pages = [];
    this.count = null;
    this.focusIndex = 0;
    this.#anchorIndex = 0;
    this.clearSelection();
    // The first page is asked for before the count: the server answers in order, and the rows are what
    // the user waits for.
    void this.#pump();
    void this.#count();
  }

  updateFilter(change: Partial<GridFilter>): void {
    const next: GridFilter = { ...this.filter, ...change };
    for (const key of Object.keys(next) as (keyof GridFilter)[]) if (next[key] === undefined) delete next[key];
    this.setFilter(next);
  }

  /** Images, labels or classes changed: recount and refetch what is on screen, keeping the place. */
  async refresh(): Promise<void> {
    if (!this.#opened) return;
    for (let p = 0; p < this.pages.length; p++) if (this.pages[p]) this.#stale.add(p);
    await this.#count();
    void this.#pump();
  }

  /** The positions on screen (with some overscan); the pages behind them are fetched in order. */
  setViewport(first: number, last: number): void {
    this.#wanted = [Math.max(0, first), Math.max(0, last)];
    void this.#pump();
  }

  async #count(): Promise<void> {
    const generation = this.generation;
    try {
      const { count } = await call('countImages', this.#filterArgs());
      if (generation !== this.generation) return;
      this.count = count;
      this.error = null;
      if (this.focusIndex >= count) this.focusIndex = Math.max(0, count - 1);
    } catch (error) {
      if (generation === this.generation) this.error = message(error);
    }
  }

  #filterArgs() {
    const f = this.filter;
    return {
      ...(f.classId !== undefined ? { classId: f.classId } : {}),
      ...(f.split ? { split: f.split } : {}),
      ...(f.state ? { state: f.state } : {}),
      ...(f.search?.trim() ? { search: f.search.trim() } : {}),
      ...(f.importId !== undefined ? { importId: f.importId } : {}),
      ...(f.prediction ? { prediction: f.prediction } : {}),
    };
  }

  /** Fetches the wanted pages one request at a time; a newer viewport is picked up between requests. */
  async #pump(): Promise<void> {
    if (this.#pumping || !this.#opened) return;
    this.#pumping = true;
    try {
      for (;;) {
        const page = this.#nextPageToLoad();
        if (page === null) break;
        const generation = this.generation;
        try {
          await this.#fetch(page);
        } catch (error) {
          if (generation === this.generation) this.error = message(error);
          break;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #loaded(p: number): boolean {
    return this.pages[p] !== undefined && !this.#stale.has(p);
  }

  #nextPageToLoad(): number | null {
    const [first, last] = this.#wanted;
    let lastPage = Math.floor(last / PAGE);
    if (this.count !== null) lastPage = Math.min(lastPage, Math.floor(Math.max(0, this.count - 1) / PAGE));
    if (this.#end !== null) lastPage = Math.min(lastPage, this.#end);
    for (let p = Math.floor(first / PAGE); p <= lastPage; p++) {
      if (this.#loaded(p)) {
        this.#lastUsed.set(p, performance.now());
        continue;
      }
      return p;
    }
    return null;
  }

  /** Loads page p; when its cursor is not known yet, asks for the cursors up to it (ids only) first. */
  async #fetch(p: number): Promise<void> {
    if (p < this.#cursors.length) return this.#loadPage(p);
    const known = this.#cursors.length - 1;
    if (p - known >= 2 && (await this.#jump(known, p - known))) return this.#loadPage(p);
    // One page beyond what is known, or the cursors ran out early: walk one page.
    return this.#loadPage(known);
  }

  /** Learns the cursors of the `pages` pages after page `known`; false when fewer came back. */
  async #jump(known: number, pages: number): Promise<boolean> {
    const generation = this.generation;
    const after = this.#cursors[known]!;
    const { cursors } = await call('imageCursors', { ...this.#filterArgs(), every: PAGE, pages, ...(after > 0 ? { after } : {}) });
    if (generation !== this.generation || this.#cursors.length !== known + 1 || this.#cursors[known] !== after) return false;
    this.#cursors.push(...cursors);
    return cursors.length === pages;
  }

  async #loadPage(p: number): Promise<void> {
    const generation = this.generation;
    const after = this.#cursors[p]!;
    const result = await call('listImages', { ...this.#filterArgs(), limit: PAGE, ...(after > 0 ? { after } : {}) });
    if (generation !== this.generation || after !== this.#cursors[p]) return;
    const pages = this.pages.slice();
    pages[p] = result.images;
    this.#stale.delete(p);
    this.#lastUsed.set(p, performance.now());
    const end = result.images.at(-1)?.id;
    if (result.nextCursor === null || end === undefined) {
      this.#end = p;
      this.#truncateAfter(p, pages);
    } else {
      if (this.#end !== null && this.#end <= p) this.#end = null;
      // The page now ends elsewhere (an edit moved images in or out): the later cursors are wrong.
      if (this.#cursors[p + 1] !== end) {
        this.#truncateAfter(p, pages);
        this.#cursors[p + 1] = end;
      }
    }
    this.pages = this.#evict(pages);
  }

  #truncateAfter(p: number, pages: (ImageSummary[] | undefined)[]): void {
    this.#cursors.length = p + 1;
    pages.length = Math.min(pages.length, p + 1);
    for (const stale of [...this.#stale]) if (stale > p) this.#stale.delete(stale);
  }

  /** Keeps the most recently shown pages; their cursors stay, so they come back with one request. */
  #evict(pages: (ImageSummary[] | undefined)[]): (ImageSummary[] | undefined)[] {
    const loaded = pages.flatMap((rows, p) => (rows ? [p] : []));
    if (loaded.length <= MAX_PAGES) return pages;
    loaded.sort((a, b) => (this.#lastUsed.get(a) ?? 0) - (this.#lastUsed.get(b) ?? 0));
    for (const p of loaded.slice(0, loaded.length - MAX_PAGES)) {
      pages[p] = undefined;
      this.#lastUsed.delete(p);
      this.#stale.delete(p);
    }
    return pages;
  }

  // ---- focus and selection ----

  clearSelection(): void {
    this.selected = new Set();
    this.allInFilter = false;
  }

  selectAllInFilter(): void {
    this.selected = new Set();
    this.allInFilter = true;
  }

  /** A click: `range` is shift, `toggle` is ctrl/cmd. */
  async pick(index: number, how: { range?: boolean; toggle?: boolean } = {}): Promise<void> {
    const image = this.imageAt(index);
    if (!image) return;
    this.focusIndex = index;
    if (how.range) {
      await this.#selectRange(this.#anchorIndex, index, how.toggle ?? false);
      return;
    }
    this.#anchorIndex = index;
    if (how.toggle) {
      const next = new Set(this.selected);
      if (next.has(image.id)) next.delete(image.id);
      else next.add(image.id);
      this.selected = next;
    } else {
      this.allInFilter = false;
      this.selected = new Set([image.id]);
    }
  }

  /** Arrow keys and friends: move the focus; with shift, select from the anchor to it. */
  async moveFocus(index: number, extend: boolean): Promise<void> {
    const total = this.count ?? 0;
    if (total === 0) return;
    const target = Math.min(Math.max(index, 0), total - 1);
    this.focusIndex = target;
    this.setViewport(Math.min(this.#wanted[0], target), Math.max(this.#wanted[1], target));
    if (extend) {
      await this.#selectRange(this.#anchorIndex, target, false);
      return;
    }
    this.#anchorIndex = target;
    const image = await this.#imageWhenLoaded(target);
    if (image && this.focusIndex === target) {
      this.allInFilter = false;
      this.selected = new Set([image.id]);
    }
  }

  /** Space: add or remove the focused image. */
  toggleFocused(): void {
    const image = this.imageAt(this.focusIndex);
    if (!image) return;
    const next = new Set(this.selected);
    if (next.has(image.id)) next.delete(image.id);
    else next.add(image.id);
    this.selected = next;
    this.#anchorIndex = this.focusIndex;
  }

  async #selectRange(from: number, to: number, add: boolean): Promise<void> {
    const [lo, hi] = from <= to ? [from, to] : [to, from];
    const ids = await this.#idsBetween(lo, hi);
    const next = add ? new Set(this.selected) : new Set<number>();
    for (const id of ids) next.add(id);
    this.allInFilter = false;
    this.selected = next;
  }

  async #imageWhenLoaded(index: number): Promise<ImageSummary | undefined> {
    const page = Math.floor(index / PAGE);
    const generation = this.generation;
    while (!this.#loaded(page)) {
      if (this.#end !== null && page > this.#end) return undefined;
      await this.#fetch(page);
      if (generation !== this.generation) return undefined;
    }
    return this.imageAt(index);
  }

  async #idsBetween(lo: number, hi: number): Promise<number[]> {
    const ids: number[] = [];
    for (let p = Math.floor(lo / PAGE); p <= Math.floor(hi / PAGE); p++) {
      await this.#imageWhenLoaded(p * PAGE);
      const rows = this.pages[p] ?? [];
      for (let i = Math.max(lo, p * PAGE); i <= Math.min(hi, p * PAGE + rows.length - 1); i++) ids.push(rows[i - p * PAGE]!.id);
    }
    return ids;
  }

  /**
   * The ids an action applies to: the selection, or the focused image when nothing is selected. For
   * "everything in the filter" they are read page by page (1,000 at a time), not from the grid's cache.
   */
  async selectedIds(): Promise<number[]> {
    if (!this.allInFilter) {
      if (this.selected.size > 0) return [...this.selected];
      const focused = this.imageAt(this.focusIndex);
      return focused ? [focused.id] : [];
    }
    const ids: number[] = [];
    let after = 0;
    for (;;) {
      const page = await call('listImages', { ...this.#filterArgs(), limit: 1000, ...(after > 0 ? { after } : {}) });
      for (const image of page.images) if (!this.selected.has(image.id)) ids.push(image.id);
      if (page.nextCursor === null) return ids;
      after = page.nextCursor;
    }
  }
}

export const datasetGrid = new DatasetGrid();
