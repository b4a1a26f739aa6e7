/**
 * Thumbnails for any view: requests made in the same tick are batched into one `getThumbnails` call,
 * and results are kept (as data URLs) in a bounded cache, so scrolling a grid back and forth does not
 * refetch and a long session does not grow without bound.
 */
import { call } from './api.js';

const MAX_CACHED = 4000;
const BATCH = 200;

const cache = new Map<number, string>();
/** Each cached thumbnail's pixel size: its aspect is the photo's (thumbnails keep the shape). */
const sizes = new Map<number, { width: number; height: number }>();
const waiting = new Map<number, ((url: string | null) => void)[]>();
let scheduled = false;

function remember(imageId: number, url: string, size: { width: number; height: number }): void {
  cache.delete(imageId);
  cache.set(imageId, url);
  sizes.set(imageId, size);
  if (cache.size > MAX_CACHED) {
    const oldest = cache.keys().next().value!;
    cache.delete(oldest);
    sizes.delete(oldest);
  }
}

async function flush(): Promise<void> {
  scheduled = false;
  const ids = [...waiting.keys()];
  for (let start = 0; start < ids.length; start += BATCH) {
    const chunk = ids.slice(start, start + BATCH);
    let found = new Map<number, string>();
    try {
      const thumbs = await call('getThumbnails', { imageIds: chunk });
      found = new Map(thumbs.map((t) => [t.imageId, `data:${t.mime};base64,${t.base64}`]));
      for (const t of thumbs) sizes.set(t.imageId, { width: t.width, height: t.height });
    } catch {
      // leave `found` empty: every image of the chunk shows its placeholder
    }
    for (const id of chunk) {
      const url = found.get(id) ?? null;
      if (url) remember(id, url, sizes.get(id) ?? { width: 1, height: 1 });
      for (const resolve of waiting.get(id) ?? []) resolve(url);
      waiting.delete(id);
    }
  }
}

/** The image's thumbnail as a data URL, or null when it has none. */
export function thumbnailUrl(imageId: number): Promise<string | null> {
  const hit = cache.get(imageId);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve) => {
    const list = waiting.get(imageId) ?? [];
    list.push(resolve);
    waiting.set(imageId, list);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(() => void flush());
    }
  });
}

/** A cached thumbnail's pixel size (the photo's aspect), once it was fetched. */
export function thumbnailSize(imageId: number): { width: number; height: number } | null {
  return cache.has(imageId) ? (sizes.get(imageId) ?? null) : null;
}

/** The cached URL right away, when there is one (no flicker for images seen before). */
export function cachedThumbnailUrl(imageId: number): string | null {
  return cache.get(imageId) ?? null;
}
