import { describe, expect, it } from 'vitest';
import { prefetchOne } from './prefetch.js';

function recordingSource(count: number, log: string[], failAt = -1): AsyncIterable<number> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < count; i++) {
          log.push(`fetch ${i}`);
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (i === failAt) throw new Error(`decode failed at ${i}`);
          yield i;
        }
      } finally {
        log.push('closed');
      }
    },
  };
}

describe('prefetchOne', () => {
  it('starts fetching the next item before the consumer works on the current one', async () => {
    const log: string[] = [];
    for await (const item of prefetchOne(recordingSource(3, log))) log.push(`use ${item}`);
    // Asking past the last item finds the end (and closes the source) before the last item is used.
    expect(log).toEqual(['fetch 0', 'fetch 1', 'use 0', 'fetch 2', 'use 1', 'closed', 'use 2']);
  });

  it('closes the source when the consumer stops early', async () => {
    const log: string[] = [];
    for await (const item of prefetchOne(recordingSource(5, log))) {
      log.push(`use ${item}`);
      if (item === 1) break;
    }
    expect(log).toEqual(['fetch 0', 'fetch 1', 'use 0', 'fetch 2', 'use 1', 'closed']);
  });

  it('passes a failure on to the consumer at the item that failed', async () => {
    const log: string[] = [];
    const used: number[] = [];
    await expect(
      (async () => {
        for await (const item of prefetchOne(recordingSource(5, log, 1))) used.push(item);
      })(),
    ).rejects.toThrow(/decode failed at 1/);
    expect(used).toEqual([0]);
    expect(log.at(-1)).toBe('closed');
  });
});
