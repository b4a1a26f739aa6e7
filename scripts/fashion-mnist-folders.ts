/**
 * Writes Fashion-MNIST (Debian's dataset-fashion-mnist IDX files) as the class-subfolder tree of PNGs
 * that a user imports: OUT/<class>/<split>-<index>.png. Used by tests (a slice) and by the studio-path
 * benchmark (all of it).
 *
 *   npx tsx scripts/fashion-mnist-folders.ts --out DIR [--split train|test|both] [--per-class N]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { fashionMnistClasses, loadFashionMnist } from '../ml/data/idx.js';

export interface FolderOptions {
  out: string;
  splits: ('train' | 'test')[];
  /** At most this many images per class and split (the first ones in file order). */
  perClass?: number;
}

export async function writeFashionMnistFolders(options: FolderOptions): Promise<number> {
  for (const name of fashionMnistClasses) await mkdir(path.join(options.out, name), { recursive: true });
  let written = 0;
  for (const split of options.splits) {
    const data = loadFashionMnist(split);
    const size = data.height * data.width;
    const taken = new Array<number>(fashionMnistClasses.length).fill(0);
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < data.count; i++) {
      const label = data.labels[i]!;
      if (options.perClass !== undefined && taken[label]! >= options.perClass) continue;
      taken[label]!++;
      const pixels = Buffer.from(data.images.subarray(i * size, (i + 1) * size));
      const file = path.join(options.out, fashionMnistClasses[label]!, `${split}-${String(i).padStart(5, '0')}.png`);
      jobs.push(
        // b-w keeps the PNG one-channel; sharp would otherwise write RGB.
        sharp(pixels, { raw: { width: data.width, height: data.height, channels: 1 } })
          .toColourspace('b-w')
          .png()
          .toBuffer()
          .then((png) => writeFile(file, png)),
      );
      if (jobs.length >= 64) await Promise.all(jobs.splice(0));
      written++;
    }
    await Promise.all(jobs);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, split: { type: 'string', default: 'both' }, 'per-class': { type: 'string' } } });
  if (!values.out) throw new Error('--out DIR is required');
  const splits = values.split === 'both' ? (['train', 'test'] as const) : ([values.split as 'train' | 'test'] as const);
  const count = await writeFashionMnistFolders({
    out: path.resolve(values.out),
    splits: [...splits],
    ...(values['per-class'] ? { perClass: Number(values['per-class']) } : {}),
  });
  console.log(JSON.stringify({ out: path.resolve(values.out), images: count }));
}
