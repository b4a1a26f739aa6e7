/**
 * Builds an import folder for tests: good images of every supported kind, with awkward names, beside
 * every kind of bad file the importer must report. Returns what it made so tests can check each one.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../paths.js';
import { encodeBmp24, encodeBmp8 } from './bmpEncode.js';
import { hugePng } from './hugePng.js';

/** The shared test images, beside the repository (../shared/datasets), or where CIFAR10_MINI says. */
export const cifar = process.env.CIFAR10_MINI ?? path.resolve(packageRoot(), '..', 'shared', 'datasets', 'cifar10-mini');

export interface HostileFolder {
  root: string;
  /** Relative path -> expected class (null: unlabelled). */
  good: Map<string, string | null>;
  /** Relative path -> pattern its reason must match. */
  bad: Map<string, RegExp>;
  /** Relative path of a copy -> relative path of the image it duplicates. */
  duplicates: Map<string, string>;
  /** Whether the unreadable-file case could be made (not as root: root reads a chmod 000 file). */
  unreadableTested: boolean;
}

export async function buildHostileFolder(root: string): Promise<HostileFolder> {
  const good = new Map<string, string | null>();
  const bad = new Map<string, RegExp>();
  const duplicates = new Map<string, string>();
  const put = (rel: string, bytes: Buffer | string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
  };
  const jpeg = (cls: string, n: number) => readFileSync(path.join(cifar, cls, `${String(n).padStart(4, '0')}.jpg`));
  const create = (width: number, height: number, channels: 3 | 4, colour: string) =>
    sharp({ create: { width, height, channels, background: colour } });

  // Good images, with unicode and space-filled names.
  put('cat/0000.jpg', jpeg('cat', 0));
  put('cat/chat été 🐱.jpg', jpeg('cat', 1));
  put('cat/  spaced   name .jpg', jpeg('cat', 2));
  put('cat/nested/deeper/kitten.jpg', jpeg('cat', 3));
  put('dog/rgba.png', await create(64, 48, 4, 'rgba(200, 10, 10, 0.5)').png().toBuffer());
  put('dog/grey.png', await create(40, 40, 3, '#777').toColourspace('b-w').png().toBuffer());
  put('dog/first-frame.gif', await create(30, 20, 3, '#00f').gif().toBuffer());
  put('dog/photo.webp', await create(300, 200, 3, '#0a0').webp().toBuffer());
  put('dog/scan.tiff', await create(50, 50, 3, '#aa0').tiff().toBuffer());
  put('dog/rotated.jpg', await create(120, 60, 3, '#0ff').jpeg().withMetadata({ orientation: 6 }).toBuffer());
  put('dog/paint.bmp', encodeBmp24(20, 10, (x, y) => [x * 10, y * 20, 128]));
  put('dog/palette.bmp', encodeBmp8(9, 7, [[0, 0, 0], [255, 255, 255]], (x, y) => (x + y) % 2));
  put('unlabelled root.png', await create(16, 16, 3, '#123456').png().toBuffer());
  for (const rel of ['cat/0000.jpg', 'cat/chat été 🐱.jpg', 'cat/  spaced   name .jpg', 'cat/nested/deeper/kitten.jpg']) good.set(rel, 'cat');
  for (const rel of ['dog/rgba.png', 'dog/grey.png', 'dog/first-frame.gif', 'dog/photo.webp', 'dog/scan.tiff', 'dog/rotated.jpg', 'dog/paint.bmp', 'dog/palette.bmp']) good.set(rel, 'dog');
  good.set('unlabelled root.png', null);

  // The same picture filed under another class: imported once, reported with the conflict.
  put('dog/copy of a cat.jpg', jpeg('cat', 0));
  duplicates.set('dog/copy of a cat.jpg', 'cat/0000.jpg');

  // Bad files.
  put('cat/empty.jpg', Buffer.alloc(0));
  bad.set('cat/empty.jpg', /empty file \(0 bytes\)/);
  const whole = jpeg('cat', 4);
  put('cat/truncated.jpg', whole.subarray(0, Math.floor(whole.length / 2)));
  bad.set('cat/truncated.jpg', /truncated JPEG/);
  const png = Buffer.from(await create(40, 40, 3, '#f0f').png().toBuffer());
  png.fill(0x41, 16, 33); // IHDR fields and their checksum
  put('dog/corrupt.png', png);
  bad.set('dog/corrupt.png', /corrupt PNG/);
  put('dog/notes.jpg', 'These are my notes, not a picture.\n');
  bad.set('dog/notes.jpg', /not an image/);
  put('dog/vector.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
  bad.set('dog/vector.svg', /unsupported image format SVG/);
  put('dog/bomb.png', await hugePng(20000, 20000));
  bad.set('dog/bomb.png', /20000x20000 \(400 megapixels\), over the 100 megapixels limit/);
  symlinkSync('..', path.join(root, 'cat', 'loop'));
  bad.set('cat/loop', /symlink loop/);
  symlinkSync('self.jpg', path.join(root, 'cat', 'self.jpg'));
  bad.set('cat/self.jpg', /symlink loop/);
  symlinkSync('does-not-exist.jpg', path.join(root, 'dog', 'broken.jpg'));
  bad.set('dog/broken.jpg', /missing \(a broken symlink/);
  try {
    execFileSync('mkfifo', [path.join(root, 'dog', 'pipe.jpg')]);
    bad.set('dog/pipe.jpg', /not a regular file/);
  } catch {
    // no mkfifo here: the case is simply not built
  }
  // Root reads any file whatever its mode, so the unreadable case only exists for other users.
  const unreadableTested = typeof process.getuid === 'function' && process.getuid() !== 0;
  copyFileSync(path.join(cifar, 'cat', '0005.jpg'), path.join(root, 'cat', 'locked.jpg'));
  chmodSync(path.join(root, 'cat', 'locked.jpg'), 0o000);
  if (unreadableTested) bad.set('cat/locked.jpg', /unreadable \(permission denied\)/);
  else good.set('cat/locked.jpg', 'cat');

  put('.DS_Store', 'Finder litter: left out unread, counted in the report');
  return { root, good, bad, duplicates, unreadableTested };
}
