/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (big-endian header: magic with the element type
 * and rank, then one uint32 per dimension, then the raw data), gzipped or not.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function parseIdx(buffer: Uint8Array, source = 'IDX data'): IdxArray {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer.byteLength < 4 || view.getUint16(0) !== 0) throw new Error(`${source}: not an IDX file (bad magic number)`);
  const type = view.getUint8(2);
  const rank = view.getUint8(3);
  if (type !== UNSIGNED_BYTE) throw new Error(`${source}: element type 0x${type.toString(16)} is not unsigned bytes`);
  const headerBytes = 4 + 4 * rank;
  if (buffer.byteLength < headerBytes) throw new Error(`${source}: truncated header`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  if (buffer.byteLength - headerBytes < count) throw new Error(`${source}: truncated data (${buffer.byteLength - headerBytes} of ${count} bytes)`);
  return { shape, data: buffer.subarray(headerBytes, headerBytes + count) };
}

export function readIdxFile(file: string): IdxArray {
  const raw = readFileSync(file);
  const bytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
  return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const fashionMnistClasses = ['t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle_boot'] as const;

export interface LabelledImages {
  /** N x H x W x 1, uint8, row-major. */
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
}

export function loadFashionMnist(split: 'train' | 'test', dir = FASHION_MNIST_DIR): LabelledImages {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdxFile(path.join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdxFile(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) throw new Error(`Fashion-MNIST ${split}: ${count} images but ${labels.shape[0]} labels`);
  return { images: images.data, labels: Int32Array.from(labels.data), count, height, width };
}
