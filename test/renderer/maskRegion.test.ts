/** Where the attention mask goes on a photo, per resize policy (fractions of the photo's width and height). */
import { describe, expect, it } from 'vitest';
import { maskRegion, type ResizePolicy } from '../../renderer/src/lib/maskRegion.js';

const cases: { policy: ResizePolicy; width: number; height: number; region: [number, number, number, number] }[] = [
  // A squashed photo: the input was the whole photo stretched, so the mask is stretched back over all of it.
  { policy: 'squash', width: 300, height: 200, region: [0, 0, 1, 1] },
  { policy: 'squash', width: 200, height: 300, region: [0, 0, 1, 1] },
  // Centre-crop of 300x200 keeps x 50..250: left 1/6, width 2/3.
  { policy: 'centre-crop', width: 300, height: 200, region: [1 / 6, 0, 2 / 3, 1] },
  { policy: 'centre-crop', width: 200, height: 300, region: [0, 1 / 6, 1, 2 / 3] },
  { policy: 'centre-crop', width: 4000, height: 1000, region: [0.375, 0, 0.25, 1] },
  // Letterbox of 300x200 sits in a 300x300 square with 50 px of padding above and below.
  { policy: 'letterbox', width: 300, height: 200, region: [0, -0.25, 1, 1.5] },
  { policy: 'letterbox', width: 200, height: 300, region: [-0.25, 0, 1.5, 1] },
  // A square photo is the input under every policy.
  { policy: 'centre-crop', width: 64, height: 64, region: [0, 0, 1, 1] },
  { policy: 'letterbox', width: 64, height: 64, region: [0, 0, 1, 1] },
];

describe('maskRegion', () => {
  it.each(cases)('$policy of a $width x $height photo covers $region', ({ policy, width, height, region }) => {
    const got = maskRegion(policy, width, height);
    expect([got.left, got.top, got.width, got.height].map((v) => Number(v.toFixed(6)))).toEqual(region.map((v) => Number(v.toFixed(6))));
  });

  it('maps the mask square back onto the photo at its own aspect for the cropping and padding policies', () => {
    for (const [width, height] of [[300, 200], [200, 300], [2000, 1500], [1, 7]] as const) {
      for (const policy of ['centre-crop', 'letterbox'] as const) {
        const r = maskRegion(policy, width, height);
        // The region is square in pixels, and centred on the photo.
        expect(r.width * width).toBeCloseTo(r.height * height, 6);
        expect(r.left + r.width / 2).toBeCloseTo(0.5, 9);
        expect(r.top + r.height / 2).toBeCloseTo(0.5, 9);
      }
    }
  });
});
