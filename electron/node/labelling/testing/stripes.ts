/**
 * A two-class image folder a tiny model learns within a test: stripes, vertical or horizontal, of a
 * random phase with pixel noise. Labelled images go to class subfolders (a share of them to the wrong
 * one, when asked); unlabelled ones to the folder's root.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export const STRIPE_SIZE = 16;

export function stripes(vertical: boolean, seed: number, size = STRIPE_SIZE): Buffer {
  let state = (seed * 2654435761) >>> 0;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const phase = Math.floor(random() * 4);
  const pixels = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = ((vertical ? x : y) + phase) % 4 < 2;
      pixels[y * size + x] = Math.max(0, Math.min(255, (on ? 200 : 50) + Math.round((random() - 0.5) * 80)));
    }
  }
  return pixels;
}

export interface StripeFolder {
  /** File name → the true class. */
  truth: Map<string, 'vertical' | 'horizontal'>;
  /** Labelled files put in the wrong class folder. */
  flipped: Set<string>;
  unlabelled: Set<string>;
}

/** `flipEvery`: one labelled image in that many goes to the wrong folder (0: none). */
export async function writeStripeFolder(folder: string, options: { labelled: number; unlabelled: number; flipEvery?: number; seed?: number }): Promise<StripeFolder> {
  const result: StripeFolder = { truth: new Map(), flipped: new Set(), unlabelled: new Set() };
  for (const name of ['vertical', 'horizontal']) mkdirSync(path.join(folder, name), { recursive: true });
  const seed = options.seed ?? 0;
  for (let i = 0; i < options.labelled + options.unlabelled; i++) {
    const vertical = i % 2 === 0;
    const truth = vertical ? 'vertical' : 'horizontal';
    const name = `img${String(i).padStart(5, '0')}.png`;
    result.truth.set(name, truth);
    let target: string;
    if (i >= options.labelled) {
      target = folder;
      result.unlabelled.add(name);
    } else {
      const flip = options.flipEvery ? i % options.flipEvery === options.flipEvery - 1 : false;
      if (flip) result.flipped.add(name);
      target = path.join(folder, vertical !== flip ? 'vertical' : 'horizontal');
    }
    await sharp(stripes(vertical, seed + i + 1), { raw: { width: STRIPE_SIZE, height: STRIPE_SIZE, channels: 1 } }).png().toFile(path.join(target, name));
  }
  return result;
}
