/**
 * The wasm backend's heap is one WebAssembly memory of at most 4 GiB. When it is full, Emscripten's
 * `malloc` returns 0 and tfjs-backend-wasm 4.22 uses that as a tensor's address: the next writes land on
 * the module's own data at address 0 and the process later dies far from the cause ("memory access out
 * of bounds", "divide by zero", "Aborted()"). The guard turns the failed allocation into an error a
 * user can act on, thrown before anything is written.
 */
export class WasmHeapExhaustedError extends Error {
  readonly code = 'wasm_heap_exhausted';
  constructor(readonly bytes: number, readonly heapBytes: number) {
    super(
      `the WASM backend ran out of memory: ${mib(bytes)} MiB more did not fit in its ${mib(heapBytes)} MiB heap ` +
      '(WebAssembly addresses at most 4 GiB). Lower the batch size or the image size.',
    );
    this.name = 'WasmHeapExhaustedError';
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

interface EmscriptenAllocator {
  _malloc(bytes: number): number;
  asm?: { malloc?: (bytes: number) => number; memory?: { buffer: ArrayBufferLike } };
  wasmMemory?: { buffer: ArrayBufferLike };
  HEAPU8?: Uint8Array;
}

const guarded = new WeakSet<object>();
const MAX_HEAP_BYTES = 2 ** 32;

function heapBytes(module: EmscriptenAllocator): number {
  return (module.wasmMemory ?? module.asm?.memory)?.buffer.byteLength ?? module.HEAPU8?.byteLength ?? 0;
}

/** Makes `module._malloc` (the allocator tfjs and the project kernels call) throw instead of returning 0. */
export function guardWasmAllocations(module: unknown): void {
  const target = module as EmscriptenAllocator;
  if (guarded.has(target)) return;
  // The module's `_malloc` starts as a stub that replaces itself with the export on first use; take the
  // export itself so that nothing replaces the guard later.
  const raw = target.asm?.malloc ?? target._malloc.bind(target);
  target._malloc = (bytes: number): number => {
    // 4 GiB or more would wrap around in the i32 argument and allocate a small block instead.
    if (bytes >= MAX_HEAP_BYTES) throw new WasmHeapExhaustedError(bytes, heapBytes(target));
    const pointer = raw(bytes) >>> 0;
    if (pointer === 0 && bytes > 0) {
      throw new WasmHeapExhaustedError(bytes, heapBytes(target));
    }
    return pointer;
  };
  guarded.add(target);
}
