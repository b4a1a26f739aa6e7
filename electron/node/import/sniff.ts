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
