import { describe, expect, it } from 'vitest';
import { describeResizePolicy, modelViewRegion, resizePolicyOf } from './resizePolicy.js';

describe('the region of a photo the model sees', () => {
  it.each([
    { policy: 'squash', width: 400, height: 300, region: { x: 0, y: 0, width: 400, height: 300 } },
    { policy: 'centre-crop', width: 400, height: 300, region: { x: 50, y: 0, width: 300, height: 300 } },
    { policy: 'centre-crop', width: 175, height: 240, region: { x: 0, y: 32.5, width: 175, height: 175 } },
    { policy: 'letterbox', width: 400, height: 300, region: { x: 0, y: -50, width: 400, height: 400 } },
    { policy: 'letterbox', width: 175, height: 240, region: { x: -32.5, y: 0, width: 240, height: 240 } },
    { policy: 'letterbox', width: 64, height: 64, region: { x: 0, y: 0, width: 64, height: 64 } },
  ] as const)('$policy of a $width x $height photo', ({ policy, width, height, region }) => {
    expect(modelViewRegion(policy, width, height)).toEqual(region);
  });

  it('treats a run stored before the choice as squash', () => {
    expect(resizePolicyOf({})).toBe('squash');
    expect(resizePolicyOf({ resizePolicy: 'letterbox' })).toBe('letterbox');
  });

  it('says in words what each policy does at a size', () => {
    expect(describeResizePolicy('squash', 64)).toContain('stretch the whole image to 64x64');
    expect(describeResizePolicy('centre-crop', 64)).toContain('keep the centred 64x64 square');
    expect(describeResizePolicy('letterbox', 64)).toContain('black 64x64 square');
  });
});
