/** A slice of the shared CIFAR-10 images (the datasets folder beside the repository), decoded with sharp as the importer would. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { InMemoryDataSource } from '../dataSource.js';

export const CIFAR_MINI = join(import.meta.dirname, '../../../../shared/datasets/cifar10-mini');

/** The first `perClass` images of each named class folder, resized to size x size RGB. */
export async function cifarSlice(classes: string[], perClass: number, size: number): Promise<InMemoryDataSource> {
  const images = new Uint8Array(classes.length * perClass * size * size * 3);
  const labels: number[] = [];
  for (const [label, name] of classes.entries()) {
    const files = (await readdir(join(CIFAR_MINI, name))).sort().slice(0, perClass);
    for (const file of files) {
      const pixels = await sharp(join(CIFAR_MINI, name, file)).resize(size, size).removeAlpha().raw().toBuffer();
      images.set(pixels, labels.length * size * size * 3);
      labels.push(label);
    }
  }
  return new InMemoryDataSource({ images, labels, imageShape: [size, size, 3], numClasses: classes.length });
}
