/**
 * Recognises an image format from its first bytes. The file's extension is never trusted: a text
 * file named .jpg is reported as what it is, and sharp never sees formats we do not accept
 * (SVG and PDF can reference other files; HEIF and friends are not in the promise to users).
 */

export const supportedFormats = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'bmp'] as const;
export type SupportedFormat = (typeof supportedFormats)[number];

export type Sniffed = { supported: true; format: SupportedFormat } | { supported: false; format: string | null };

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

export function sniffFormat(bytes: Uint8Array): Sniffed {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { supported: true, format: 'jpeg' };
  if (b.length >= 8 && ascii(b, 1, 3) === 'PNG' && b[0] === 0x89 && b[4] === 0x0d && b[5] === 0x0a) {
    return { supported: true, format: 'png' };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return { supported: true, format: 'webp' };
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return { supported: true, format: 'gif' };
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) {
    return { supported: true, format: 'tiff' };
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return { supported: true, format: 'bmp' };
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    return { supported: false, format: brand.startsWith('avi') ? 'AVIF' : 'HEIF' };
  }
  if (b.length >= 5 && ascii(b, 0, 5) === '%PDF-') return { supported: false, format: 'PDF' };
  if (b.length >= 4 && ascii(b, 0, 4) === '8BPS') return { supported: false, format: 'PSD' };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return { supported: false, format: 'ICO' };
  const head = ascii(b, 0, Math.min(b.length, 256)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return { supported: false, format: 'SVG' };
  return { supported: false, format: null };
}

export type HeaderColour = 'grey' | 'grey-alpha' | 'colour';

/**
 * Whether a PNG or JPEG stores grey pixels, read from its header (PNG colour type, JPEG frame
 * component count); null when unknown. sharp decodes grey to three channels unless told otherwise.
 */
export function headerColour(bytes: Uint8Array, format: SupportedFormat): HeaderColour | null {
  if (format === 'png') {
    if (bytes.length < 26) return null;
    const colourType = bytes[25];
    return colourType === 0 ? 'grey' : colourType === 4 ? 'grey-alpha' : 'colour';
  }
  if (format === 'jpeg') {
    let at = 2;
    while (at + 9 < bytes.length) {
      if (bytes[at] !== 0xff) return null;
      const marker = bytes[at + 1];
      if (marker === 0xff) {
        at++;
        continue;
      }
      const length = (bytes[at + 2] << 8) | bytes[at + 3];
      // Start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return bytes[at + 9] === 1 ? 'grey' : 'colour';
      }
      if (marker === 0xda || marker === 0xd9) return null;
      at += 2 + length;
    }
    return null;
  }
  return format === 'gif' || format === 'webp' ? 'colour' : null;
}
