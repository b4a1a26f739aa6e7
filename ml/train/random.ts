/**
 * Seedable pseudo-random numbers for everything the trainer draws in JavaScript (epoch order, crop
 * offsets, flips). Randomness is counter-based: every (seed, epoch, batch) gets its own generator from
 * `deriveSeed`, so a run resumed at any batch draws exactly what an uninterrupted run would, and a
 * checkpoint only has to store the seed and the position, not a generator's state.
 */

/** splitmix32's finaliser: a bijective avalanche mix of 32 bits. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** One 32-bit seed per stream, from a run seed and the stream's coordinates (epoch, batch, purpose). */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = mix32(seed >>> 0);
  // Multiplying before mixing in the part keeps the combination order-dependent and free of the
  // cancellation a plain XOR chain has (mix(a) ^ mix(a) = 0 made (1, 1, 0) equal (1, 1, 0, 0)).
  for (const part of parts) h = mix32(Math.imul(h, 0x01000193) ^ (part >>> 0));
  return h;
}

/** Purposes of derived streams; distinct constants keep the shuffle, augmentation and init streams apart. */
export const streams = { shuffle: 1, augment: 2, init: 3 } as const;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, passes PractRand,
 * and uses only 32-bit integer operations, so it gives the same sequence on every JS engine.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x1234567);
    this.c = mix32(this.b ^ 0x89abcdef);
    this.d = 1;
    // The first outputs of a freshly seeded sfc32 are poorly mixed; its author discards a dozen.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32; multiply-shift keeps the bias below n / 2^32. */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
}

/** Fisher-Yates shuffle of 0..size-1. */
export function shuffledIndices(size: number, random: Random): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  for (let i = size - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

/**
 * Runs `build` with Math.random drawing from a seeded generator. tfjs's initializers take their seeds
 * from Math.random when none is given, so a model built inside starts from the same weights for the
 * same seed, on every backend (the values are drawn in JavaScript, then uploaded).
 */
export function withSeededMathRandom<T>(seed: number, build: () => T): T {
  const random = Math.random;
  const generator = new Random(seed);
  Math.random = () => generator.nextFloat();
  try {
    return build();
  } finally {
    Math.random = random;
  }
}
