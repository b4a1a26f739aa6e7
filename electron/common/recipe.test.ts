import { describe, expect, it } from 'vitest';
import { runConfigSchema } from './contract/runs.js';
import { defaultAugmentation, defaultHorizontalFlip, defaultWeightDecay, resolveAugmentation } from './recipe.js';

describe('recipe defaults', () => {
  it.each([
    ['lite-16', 5e-4], ['lite-32', 5e-4], ['lite-32-fast', 5e-4],
    ['attention56', 1e-4], ['attention92', 1e-4], ['attention56-cifar', 1e-4], ['attention92-cifar', 1e-4],
  ])('weight decay for %s is %s', (model, decay) => {
    expect(defaultWeightDecay(model)).toBe(decay);
  });

  it.each([
    [['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], false],
    [['zero', 'One', 'two'], false],
    [['a', 'b', 'c', 'ä'], false],
    [['T-shirt', 'Trouser', 'Sneaker'], true],
    [['cat', 'dog'], true],
    [['10', 'cat'], true],
    [[], true],
  ])('horizontal flip for %j is %s, with a reason', (classes, flip) => {
    const result = defaultHorizontalFlip(classes);
    expect(result.flip).toBe(flip);
    expect(result.reason.length).toBeGreaterThan(10);
  });
});

describe('the default augmentation by image size', () => {
  it.each([
    { side: 32, preset: 'cifar' },
    { side: 28, preset: 'cifar' },
    { side: 63, preset: 'cifar' },
    { side: 64, preset: 'photo' },
    { side: 240, preset: 'photo' },
    { side: null, preset: 'cifar' },
  ])('a median shorter side of $side px gets $preset', ({ side, preset }) => {
    expect(defaultAugmentation(side).preset).toBe(preset);
  });

  it("resolves 'auto' for photos to random-resized-crop with torchvision's ranges and mild jitter, padding off", () => {
    const { augmentation, reason } = resolveAugmentation({ preset: 'auto' as const, padding: 4, horizontalFlip: true }, 300);
    expect(augmentation).toEqual({
      preset: 'photo',
      padding: 0,
      horizontalFlip: true,
      randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
      colourJitter: { brightness: 0.2, contrast: 0.2, saturation: 0.2 },
    });
    expect(reason).toContain('median shorter side 300 px');
  });

  it("resolves 'auto' for 32 px images to today's pad-and-crop, and leaves runs without a preset as they are", () => {
    expect(resolveAugmentation({ preset: 'auto' as const, padding: 4, horizontalFlip: false }, 32).augmentation).toEqual({ preset: 'cifar', padding: 4, horizontalFlip: false });
    expect(resolveAugmentation({ padding: 2, horizontalFlip: true }, 500)).toEqual({ augmentation: { padding: 2, horizontalFlip: true }, reason: null });
  });

  it('keeps a photo run\'s own crop and jitter', () => {
    const own = { preset: 'photo' as const, padding: 0, horizontalFlip: true, randomResizedCrop: { scale: [0.5, 1] as [number, number], ratio: [1, 1] as [number, number] } };
    expect(resolveAugmentation(own, 32).augmentation).toMatchObject({ randomResizedCrop: { scale: [0.5, 1], ratio: [1, 1] }, colourJitter: { brightness: 0.2 } });
  });
});

describe('run configurations with photo augmentation', () => {
  it('refuse pad-and-crop together with random-resized-crop, naming the field', () => {
    const parsed = runConfigSchema.safeParse({ model: 'lite-16', augmentation: { padding: 4, randomResizedCrop: { scale: [0.08, 1], ratio: [0.75, 1.33] } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['augmentation', 'padding'], message: expect.stringContaining('set padding to 0') });
  });

  it('refuse a scale range whose bounds are swapped, and a resize policy that does not exist', () => {
    const swapped = runConfigSchema.safeParse({ model: 'lite-16', augmentation: { padding: 0, randomResizedCrop: { scale: [0.9, 0.1], ratio: [0.75, 1.33] } } });
    expect(swapped.error!.issues[0]!.path).toEqual(['augmentation', 'randomResizedCrop', 'scale']);
    const policy = runConfigSchema.safeParse({ model: 'lite-16', resizePolicy: 'stretch' });
    expect(policy.error!.issues[0]!.path).toEqual(['resizePolicy']);
  });

  it('default new runs to an automatic augmentation and leave the resize policy absent (squash)', () => {
    const config = runConfigSchema.parse({ model: 'lite-16' });
    expect(config.augmentation).toEqual({ preset: 'auto', padding: 4, horizontalFlip: true });
    expect(config.resizePolicy).toBeUndefined();
    expect(runConfigSchema.parse({ model: 'lite-16', resizePolicy: 'letterbox' }).resizePolicy).toBe('letterbox');
  });
});
