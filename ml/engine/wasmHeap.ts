/**
 * The wasm backend's heap is one WebAssembly memory of at most 4 GiB. When it is full, Emscripten's
 * `malloc` returns 0 and tfjs-backend-wasm 4.22 uses that as a tensor's address: the next writes land on
 * the module's own data at address 0 and the process later dies far from the cause ("memory access out
 * of bounds", "divide by zero", "Aborted()"). The guard turns the failed allocation into an error a
 * user can act on, thrown before anything is written.
 */
export class WasmHeapExhaustedError extends Error {
  readonly code = 'wasm_heap_exhausted';
  constructor(readonly bytes: number, readonly heapBytes: number, limited = false) {
    super(
      `the WASM backend ran out of memory: ${mib(bytes)} MiB more did not fit in its ${mib(heapBytes)} MiB heap ` +
      (limited ? '(the memory limit set for it). ' : '(WebAssembly addresses at most 4 GiB). ') +
      'Lower the batch size or the image size.',
    );
    this.name = 'WasmHeapExhaustedError';
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

interface EmscriptenAllocator {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  asm?: { malloc?: (bytes: number) => number; free?: (pointer: number) => void; memory?: { buffer: ArrayBufferLike } };
  wasmMemory?: { buffer: ArrayBufferLike };
  HEAPU8?: Uint8Array;
}

const guarded = new WeakSet<object>();
const MAX_HEAP_BYTES = 2 ** 32;

function heapBytes(module: EmscriptenAllocator): number {
  return (module.wasmMemory ?? module.asm?.memory)?.buffer.byteLength ?? module.HEAPU8?.byteLength ?? 0;
}

interface Budget {
  limit: number;
  live: number;
  sizes: Map<number, number>;
}

const budgets = new WeakMap<object, Budget>();

/**
 * Makes `module._malloc` (the allocator tfjs and the project kernels call) throw instead of returning 0.
 * With `limitBytes`, also keeps the bytes allocated through it (and not yet freed) under that budget, so
 * a machine can keep memory for other programs; the heap itself still grows as WebAssembly allows.
 */
export function guardWasmAllocations(module: unknown, limitBytes?: number): void {
  const target = module as EmscriptenAllocator;
  if (guarded.has(target)) {
    setWasmMemoryLimit(target, limitBytes);
    return;
  }
  // The module's `_malloc` starts as a stub that replaces itself with the export on first use; take the
  // export itself so that nothing replaces the guard later.
  const raw = target.asm?.malloc ?? target._malloc.bind(target);
  const rawFree = target.asm?.free ?? target._free.bind(target);
  target._malloc = (bytes: number): number => {
    // 4 GiB or more would wrap around in the i32 argument and allocate a small block instead.
    if (bytes >= MAX_HEAP_BYTES) throw new WasmHeapExhaustedError(bytes, heapBytes(target));
    const budget = budgets.get(target);
    if (budget && budget.live + bytes > budget.limit) throw new WasmHeapExhaustedError(bytes, budget.limit, true);
    const pointer = raw(bytes) >>> 0;
    if (pointer === 0 && bytes > 0) {
      throw new WasmHeapExhaustedError(bytes, heapBytes(target));
    }
    if (budget) {
      budget.live += bytes;
      budget.sizes.set(pointer, bytes);
    }
    return pointer;
  };
  target._free = (pointer: number): void => {
    const budget = budgets.get(target);
    const size = budget?.sizes.get(pointer);
    if (budget && size !== undefined) {
      budget.live -= size;
      budget.sizes.delete(pointer);
    }
    rawFree(pointer);
  };
  guarded.add(target);
  setWasmMemoryLimit(target, limitBytes);
}

/** Sets (or, with undefined, removes) the budget; blocks allocated before it are not counted. */
function setWasmMemoryLimit(target: object, limitBytes: number | undefined): void {
  if (limitBytes === undefined) budgets.delete(target);
  else if (budgets.get(target)?.limit !== limitBytes) budgets.set(target, { limit: limitBytes, live: 0, sizes: new Map() });
}

/** Bytes allocated through the guard under a memory limit and not yet freed (null without a limit). */
export function wasmMemoryInUse(module: unknown): number | null {
  return budgets.get(module as object)?.live ?? null;
}
