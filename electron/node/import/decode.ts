/**
 * Turns the bytes of one file into everything the workspace stores about it: its description, a
 * thumbnail and the training-cache pixels. Any problem becomes a BadImageError with a reason a user
 * can act on; nothing is written anywhere here, so a failure never leaves a half-imported image.
 */
import sharp, { type Metadata, type OutputInfo, type ResizeOptions } from 'sharp';
import { LETTERBOX_FILL, type ResizePolicy } from '../../common/resizePolicy.js';
import { BmpError, bmpDimensions, decodeBmp } from './bmp.js';
import { headerColour, sniffFormat, supportedFormats, type SupportedFormat } from './sniff.js';

export class BadImageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BadImageError';
  }
}

export interface DecodeOptions {
  /** Larger images are refused (decompression bombs, or photos far beyond what training uses). */
  maxPixels: number;
  /** Longest side of the thumbnail. */
  thumbnailSize: number;
  /** Side of the square training-cache image. */
  cacheSize: number;
  /** How the photo becomes that square (electron/common/resizePolicy.ts); default 'squash'. */
  resizePolicy?: ResizePolicy;
}

export const defaultDecodeOptions: DecodeOptions = { maxPixels: 100_000_000, thumbnailSize: 96, cacheSize: 32 };

/** sharp's resize for each policy; a square source needs none but the size change, whatever the policy. */
export function squareResize(policy: ResizePolicy, size: number): ResizeOptions {
  if (policy === 'centre-crop') return { width: size, height: size, fit: 'cover', position: 'centre' };
  if (policy === 'letterbox') {
    return { width: size, height: size, fit: 'contain', position: 'centre', background: { r: LETTERBOX_FILL, g: LETTERBOX_FILL, b: LETTERBOX_FILL, alpha: 1 } };
  }
  return { width: size, height: size, fit: 'fill' };
}

export interface PreparedImage {
  format: SupportedFormat;
  /** After EXIF orientation. */
  width: number;
  height: number;
  /** Of the file as stored: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  hasAlpha: boolean;
  thumbnail: { mime: string; width: number; height: number; data: Buffer };
  cache: { size: number; channels: 1 | 3; data: Buffer };
}

/** Formats a browser shows as they are, so a small file can be its own thumbnail. */
const browserMime: Partial<Record<SupportedFormat, string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };

const names = supportedFormats.map((f) => f.toUpperCase()).join(', ');

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(pixels < 1e7 ? 1 : 0)} megapixels`;
}

function overLimit(width: number, height: number, maxPixels: number): BadImageError {
  return new BadImageError(
    `image is ${width}x${height} (${megapixels(width * height)}), over the ${megapixels(maxPixels)} limit ` +
      '(a decompression bomb, or a very large picture: raise the limit with --max-pixels to import it)',
  );
}

/** sharp's messages name libvips internals; keep their gist and say what it means for the file. */
function corrupt(format: string, error: unknown): BadImageError {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const detail = message.replace(/^Input (buffer|file) (has corrupt header:?\s*)?/, '').trim() || 'damaged header';
  if (/exceeds pixel limit/i.test(detail)) return new BadImageError(`image is over the pixel limit (${detail})`);
  if (/premature end|truncat|unexpected end|short read|not enough/i.test(detail)) {
    return new BadImageError(`truncated ${format.toUpperCase()} (the file ends before the image does: ${detail})`);
  }
  return new BadImageError(`corrupt ${format.toUpperCase()} (${detail})`);
}

interface Source {
  input: Buffer;
  raw?: { width: number; height: number; channels: 3 | 4 };
  width: number;
  height: number;
  channels: number;
  hasAlpha: boolean;
  orientation: number;
  pages: number;
  grey: boolean;
}

async function describe(bytes: Buffer, format: SupportedFormat, maxPixels: number): Promise<Source> {
  if (format === 'bmp') {
    try {
      const { width, height } = bmpDimensions(bytes);
      if (width * height > maxPixels) throw overLimit(width, height, maxPixels);
      const raw = decodeBmp(bytes, maxPixels);
      return {
        input: raw.data,
        raw: { width: raw.width, height: raw.height, channels: raw.channels },
        width: raw.width,
        height: raw.height,
        channels: raw.channels,
        hasAlpha: raw.channels === 4,
        orientation: 1,
        pages: 1,
        grey: false,
      };
    } catch (error) {
      if (error instanceof BmpError) throw new BadImageError(/truncated/.test(error.message) ? error.message : `BMP: ${error.message}`);
      throw error;
    }
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(format, error);
  }
  const width = meta.width ?? 0;
  // A multi-frame GIF/TIFF reports one frame's height as pageHeight; the first frame is what we import.
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new BadImageError(`corrupt ${format.toUpperCase()} (no dimensions in its header)`);
  if (width * height > maxPixels) throw overLimit(width, height, maxPixels);
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5;
  return {
    input: bytes,
    width: swap ? height : width,
    height: swap ? width : height,
    channels: meta.channels ?? 3,
    hasAlpha: meta.hasAlpha ?? false,
    orientation,
    pages: meta.pages ?? 1,
    grey: meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels ?? 3) <= 2,
  };
}

/**
 * Files up to this size are decoded at once, without reading their header first: at CIFAR sizes the
 * separate header read was a fifth of the import's CPU time. The pixel limit still holds (sharp
 * checks it before decoding); only the working-size shrink below is lost, which small files never need.
 */
const SMALL_FILE_BYTES = 64 * 1024;

function sharpOptions(maxPixels: number, raw?: Source['raw']) {
  return {
    raw,
    limitInputPixels: maxPixels,
    // 'error' (not sharp's default 'warning') so that harmless warnings, e.g. extra bytes after the
    // end of a JPEG, do not cost the user an image; truncation and decode errors still fail.
    failOn: 'error' as const,
  };
}

type Decoded = { data: Buffer; info: OutputInfo };

async function decodeSmall(bytes: Buffer, format: SupportedFormat, maxPixels: number): Promise<{ source: Source; decoded: Decoded }> {
  const colour = headerColour(bytes, format);
  let decoded: Decoded;
  try {
    let pipeline = sharp(bytes, sharpOptions(maxPixels)).autoOrient();
    // Not for grey+alpha: converting to b-w there drops the alpha band instead of keeping it.
    if (colour === 'grey') pipeline = pipeline.toColourspace('b-w');
    decoded = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    // A small file over the pixel limit is a bomb: its header gives the dimensions for the message.
    if (/pixel limit/i.test((error as Error).message)) await describe(bytes, format, maxPixels);
    throw corrupt(format, error);
  }
  const { info } = decoded;
  const source: Source = {
    input: bytes,
    width: info.width,
    height: info.height,
    channels: colour === 'grey-alpha' ? 2 : info.channels,
    hasAlpha: info.hasAlpha,
    orientation: 1,
    pages: format === 'gif' ? 2 : 1, // unknown without the header; a GIF may be animated
    grey: colour === 'grey' || colour === 'grey-alpha',
  };
  return { source, decoded };
}

async function decodeLarge(bytes: Buffer, format: SupportedFormat, options: DecodeOptions): Promise<{ source: Source; decoded: Decoded }> {
  const source = await describe(bytes, format, options.maxPixels);
  // Big pictures are decoded straight to a working size: JPEG and WebP then shrink while decoding.
  const work = Math.max(options.thumbnailSize, options.cacheSize);
  let pipeline = sharp(source.input, sharpOptions(options.maxPixels, source.raw)).autoOrient();
  if (source.width > 2 * work && source.height > 2 * work) {
    pipeline = pipeline.resize(work, work, { fit: 'outside', withoutEnlargement: true });
  }
  try {
    return { source, decoded: await pipeline.raw().toBuffer({ resolveWithObject: true }) };
  } catch (error) {
    throw corrupt(format, error);
  }
}

export async function prepareImage(bytes: Buffer, options: DecodeOptions = defaultDecodeOptions): Promise<PreparedImage> {
  if (bytes.length === 0) throw new BadImageError('empty file (0 bytes)');
  const sniffed = sniffFormat(bytes);
  if (!sniffed.supported) {
    throw new BadImageError(
      sniffed.format
        ? `unsupported image format ${sniffed.format} (supported: ${names})`
        : `not an image (the content is not ${names})`,
    );
  }
  const format = sniffed.format;
  const { source, decoded } =
    headerColour(bytes, format) !== null && bytes.length <= SMALL_FILE_BYTES
      ? await decodeSmall(bytes, format, options.maxPixels)
      : await decodeLarge(bytes, format, options);
  const rawInput = { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels } };

  // A small file a browser can show is its own thumbnail (browsers apply EXIF orientation themselves);
  // GIFs are re-encoded so an animated one does not play in the grid.
  const mime = browserMime[format];
  const small = source.width <= options.thumbnailSize && source.height <= options.thumbnailSize;
  const thumbnail =
    mime && small && source.pages === 1
      ? { mime, width: source.width, height: source.height, data: bytes }
      : await sharp(decoded.data, rawInput)
          .resize(options.thumbnailSize, options.thumbnailSize, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer({ resolveWithObject: true })
          .then(({ data, info }) => ({ mime: 'image/webp', width: info.width, height: info.height, data }));

  const cacheChannels: 1 | 3 = source.grey ? 1 : 3;
  const size = options.cacheSize;
  let cacheData: Buffer;
  if (decoded.info.width === size && decoded.info.height === size && decoded.info.channels === cacheChannels) {
    cacheData = decoded.data;
  } else {
    let cache = sharp(decoded.data, rawInput);
    if (decoded.info.channels === 2 || decoded.info.channels === 4) cache = cache.flatten({ background: '#ffffff' });
    cache = cache.resize(squareResize(options.resizePolicy ?? 'squash', size));
    cache = cacheChannels === 1 ? cache.toColourspace('b-w') : cache.toColourspace('srgb');
    const out = await cache.raw().toBuffer({ resolveWithObject: true });
    cacheData = out.info.channels === cacheChannels ? out.data : keepChannels(out.data, out.info.channels, cacheChannels);
  }
  return {
    format,
    width: source.width,
    height: source.height,
    channels: source.channels,
    hasAlpha: source.hasAlpha,
    thumbnail,
    cache: { size, channels: cacheChannels, data: cacheData },
  };
}

/** A safety net for colourspace corner cases: take the first `want` channels of each pixel. */
function keepChannels(data: Buffer, have: number, want: number): Buffer {
  const pixels = data.length / have;
  const out = Buffer.alloc(pixels * want);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < want; c++) out[p * want + c] = data[p * have + Math.min(c, have - 1)];
  return out;
}
