/**
 * A minimal WebAssembly assembler: enough of the binary format (WebAssembly Core Specification 2.0,
 * §5 "Binary Format", with the fixed-width SIMD proposal's opcodes) to emit a few SIMD loops that work
 * on the tfjs wasm backend's own memory. It exists because nothing here can compile C to WebAssembly,
 * and some training kernels are a single pass over memory that JavaScript runs 4-8x slower than
 * 128-bit SIMD.
 */

export const enum ValType {
  i32 = 0x7f,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
}

function unsignedLeb(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function signedLeb(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(text: string, out: number[]): void {
  const bytes = new TextEncoder().encode(text);
  unsignedLeb(bytes.length, out);
  out.push(...bytes);
}

/** Instruction emitter for one function body. Memory accesses take a byte offset and assume alignment. */
export class Code {
  readonly bytes: number[] = [];

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number): this {
    this.bytes.push(0xfd);
    unsignedLeb(opcode, this.bytes);
    return this;
  }

  private memarg(align: number, offset: number): this {
    unsignedLeb(align, this.bytes);
    unsignedLeb(offset, this.bytes);
    return this;
  }

  // Control. Blocks and loops take no parameters and return nothing (block type 0x40).
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { this.op(0x0c); unsignedLeb(depth, this.bytes); return this; }
  brIf(depth: number): this { this.op(0x0d); unsignedLeb(depth, this.bytes); return this; }
  select(): this { return this.op(0x1b); }
  /** Calls function `index` of the same module (this assembler imports no functions). */
  call(index: number): this { this.op(0x10); unsignedLeb(index, this.bytes); return this; }

  // Locals.
  get(index: number): this { this.op(0x20); unsignedLeb(index, this.bytes); return this; }
  set(index: number): this { this.op(0x21); unsignedLeb(index, this.bytes); return this; }
  tee(index: number): this { this.op(0x22); unsignedLeb(index, this.bytes); return this; }

  // Scalars.
  i32(value: number): this { this.op(0x41); signedLeb(value, this.bytes); return this; }
  f32(value: number): this {
    const buffer = new DataView(new ArrayBuffer(4));
    buffer.setFloat32(0, value, true);
    return this.op(0x43, buffer.getUint8(0), buffer.getUint8(1), buffer.getUint8(2), buffer.getUint8(3));
  }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32Eq(): this { return this.op(0x46); }
  i32Ne(): this { return this.op(0x47); }
  i32LtU(): this { return this.op(0x49); }
  i32GtS(): this { return this.op(0x4a); }
  i32GeU(): this { return this.op(0x4f); }
  i32LtS(): this { return this.op(0x48); }
  i32GeS(): this { return this.op(0x4e); }
  i32Eqz(): this { return this.op(0x45); }
  i32Load(offset = 0): this { return this.op(0x28).memarg(2, offset); }
  f32Load(offset = 0): this { return this.op(0x2a).memarg(2, offset); }
  f32Store(offset = 0): this { return this.op(0x38).memarg(2, offset); }
  f32Add(): this { return this.op(0x92); }
  f32Mul(): this { return this.op(0x94); }
  f32Gt(): this { return this.op(0x5e); }

  // 128-bit SIMD.
  v128Load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128And(): this { return this.simd(0x4e); }
  /** v128.bitselect(a, b, mask): bits of a where mask is set, of b elsewhere. */
  v128Bitselect(): this { return this.simd(0x52); }
  v128ConstI32(lanes: [number, number, number, number]): this {
    this.simd(0x0c);
    const buffer = new DataView(new ArrayBuffer(16));
    lanes.forEach((lane, i) => buffer.setInt32(4 * i, lane, true));
    for (let i = 0; i < 16; i++) this.bytes.push(buffer.getUint8(i));
    return this;
  }
  i32x4Splat(): this { return this.simd(0x11); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4ExtractLane(lane: number): this { this.simd(0x1b); this.bytes.push(lane); return this; }
  f32x4ExtractLane(lane: number): this { this.simd(0x1f); this.bytes.push(lane); return this; }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Gt(): this { return this.simd(0x44); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** Relaxed SIMD: a·b + c, fused or not as the hardware prefers (stack: a, b, c). */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
}

export interface FunctionDef {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: Code;
}

export interface MemoryImport {
  /** Pages (64 KiB) the memory has at least when the module is instantiated. */
  minimum: number;
  /** Required for shared memory (the threaded tfjs build): its maximum in pages. */
  maximum?: number;
  shared: boolean;
}

/** A module importing `env.memory` and exporting `functions` (all returning nothing). */
export function assemble(memory: MemoryImport, functions: FunctionDef[]): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, content: number[]): void => {
    out.push(id);
    unsignedLeb(content.length, out);
    out.push(...content);
  };

  const types: number[] = [];
  unsignedLeb(functions.length, types);
  for (const fn of functions) {
    types.push(0x60);
    unsignedLeb(fn.params.length, types);
    types.push(...fn.params);
    types.push(0x00);
  }
  section(1, types);

  const imports: number[] = [];
  unsignedLeb(1, imports);
  name('env', imports);
  name('memory', imports);
  imports.push(0x02);
  if (memory.shared) {
    imports.push(0x03);
    unsignedLeb(memory.minimum, imports);
    unsignedLeb(memory.maximum ?? 65536, imports);
  } else if (memory.maximum !== undefined) {
    imports.push(0x01);
    unsignedLeb(memory.minimum, imports);
    unsignedLeb(memory.maximum, imports);
  } else {
    imports.push(0x00);
    unsignedLeb(memory.minimum, imports);
  }
  section(2, imports);

  const declarations: number[] = [];
  unsignedLeb(functions.length, declarations);
  functions.forEach((_, i) => unsignedLeb(i, declarations));
  section(3, declarations);

  const exports: number[] = [];
  unsignedLeb(functions.length, exports);
  functions.forEach((fn, i) => {
    name(fn.name, exports);
    exports.push(0x00);
    unsignedLeb(i, exports);
  });
  section(7, exports);

  const code: number[] = [];
  unsignedLeb(functions.length, code);
  for (const fn of functions) {
    const body: number[] = [];
    unsignedLeb(fn.locals.length, body);
    for (const local of fn.locals) {
      body.push(0x01, local);
    }
    body.push(...fn.body.bytes, 0x0b);
    unsignedLeb(body.length, code);
    code.push(...body);
  }
  section(10, code);
  return Uint8Array.from(out);
}
