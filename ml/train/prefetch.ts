/**
 * Asks an async iterable for its next item as soon as the current one is handed out, so a data source
 * that decodes off the main thread (the studio's image reader) works on batch k+1 while the synchronous
 * tfjs step trains on batch k. One item ahead: enough to hide decoding, and only one extra batch held.
 */
export async function* prefetchOne<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | null = iterator.next();
  try {
    for (;;) {
      const result: IteratorResult<T> = await pending;
      pending = null;
      if (result.done) return;
      pending = iterator.next();
      yield result.value;
    }
  } finally {
    // The consumer stopped early (or a fetch failed): settle the request in flight, then let the
    // source free what it holds.
    if (pending) {
      await pending.catch(() => undefined);
      await iterator.return?.();
    }
  }
}
