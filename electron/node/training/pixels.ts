/** Channel conversion of cached uint8 HWC pixels to a run's input channels. */

/** ITU-R BT.601 luma, the weights libvips and most decoders use for grey. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** Copies `pixels` (count images of `channels`) into `out` with `want` channels (1 or 3). */
export function convertChannels(pixels: Uint8Array, channels: number, want: number, out: Uint8Array, offset = 0): void {
  if (channels === want) {
    out.set(pixels, offset);
    return;
  }
  const count = pixels.length / channels;
  if (channels === 1 && want === 3) {
    for (let i = 0; i < count; i++) {
      const v = pixels[i]!;
      const o = offset + i * 3;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    }
    return;
  }
  if (channels === 3 && want === 1) {
    for (let i = 0; i < count; i++) {
      const p = i * 3;
      out[offset + i] = Math.round(LUMA[0] * pixels[p]! + LUMA[1] * pixels[p + 1]! + LUMA[2] * pixels[p + 2]!);
    }
    return;
  }
  throw new Error(`cannot convert ${channels}-channel pixels to ${want} channels`);
}
