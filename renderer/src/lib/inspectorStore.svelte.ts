/**
 * The image inspector: one image large, each attention stage's mask over it, the run's probabilities
 * and the given/predicted labels, relabelling in place. It walks a list (a cell, the top losses, the
 * queue) with the arrow keys.
 */
import type { ImageMasks, ImagePreview, ImageSummary } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';
import type { ColormapName } from './colormaps.js';
import type { ResizePolicy } from './maskRegion.js';
import { errorMessage } from './format.js';

export interface InspectorItem {
  imageId: number;
  fileName: string;
  /** The run's label (its snapshot), as a class index. */
  label: number;
  predicted: number;
  confidence: number;
}

const PREVIEW_SIDE = 512;

class InspectorStore {
  runId = $state<number | null>(null);
  /** How the run made its photos square: where its masks sit on them. */
  policy = $state<ResizePolicy>('squash');
  classNames = $state.raw<string[]>([]);
  items = $state.raw<InspectorItem[]>([]);
  index = $state(0);
  preview = $state.raw<ImagePreview | null>(null);
  masks = $state.raw<ImageMasks | null>(null);
  /** The image's label in the workspace now (it may have changed since the run's snapshot). */
  image = $state.raw<ImageSummary | null>(null);
  stage = $state(0);
  opacity = $state(0.55);
  colormap = $state<ColormapName>('inferno');
  showMask = $state(true);
  stretch = $state(true);
  error = $state<string | null>(null);
  loadingMasks = $state(false);

  readonly isOpen = $derived(this.runId !== null && this.items.length > 0);
  readonly item = $derived(this.items[this.index] ?? null);

  private request = 0;

  constructor() {
    on('dataset.changed', () => {
      const id = this.item?.imageId;
      if (id !== undefined) void call('getImage', { imageId: id }).then((image) => this.item?.imageId === id && (this.image = image));
    });
  }

  show(runId: number, classNames: string[], items: InspectorItem[], index: number, policy: ResizePolicy = 'squash'): void {
    this.runId = runId;
    this.policy = policy;
    this.classNames = classNames;
    this.items = items;
    void this.go(index);
  }

  close(): void {
    this.runId = null;
    this.items = [];
    this.preview = null;
    this.masks = null;
    this.image = null;
  }

  async go(index: number): Promise<void> {
    const runId = this.runId;
    const item = this.items[index];
    if (runId === null || !item) return;
    this.index = index;
    const request = ++this.request;
    this.error = null;
    this.preview = null;
    this.masks = null;
    this.image = null;
    this.loadingMasks = true;
    const current = () => request === this.request;
    try {
      const [preview, image] = await Promise.all([
        call('getImagePreview', { imageId: item.imageId, maxSide: PREVIEW_SIDE }),
        call('getImage', { imageId: item.imageId }),
      ]);
      if (!current()) return;
      this.preview = preview;
      this.image = image;
      const masks = await call('imageMasks', { runId, imageId: item.imageId });
      if (!current()) return;
      this.masks = masks;
      this.stage = Math.min(this.stage, masks.masks.length - 1);
    } catch (error) {
      if (current()) this.error = errorMessage(error);
    } finally {
      if (current()) this.loadingMasks = false;
    }
  }

  step(delta: number): void {
    const next = this.index + delta;
    if (next >= 0 && next < this.items.length) void this.go(next);
  }

  async relabel(classId: number | null): Promise<void> {
    const item = this.item;
    if (!item) return;
    try {
      await call('relabelImages', { imageIds: [item.imageId], classId });
      this.image = await call('getImage', { imageId: item.imageId });
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}

export const inspectorStore = new InspectorStore();
