import { describe, expect, it } from 'vitest';
import { defaultHorizontalFlip, defaultWeightDecay } from './recipe.js';

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
