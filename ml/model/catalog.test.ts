/** The catalog's parameter arithmetic against real builds of every variant (small inputs: counts do not depend on size). */
import { beforeAll, describe, expect, it } from 'vitest';
import { maskModuleNames, parameterCount, variantCatalog } from './catalog.js';
import { buildModel, countParams, maskLayerNames, type VariantName } from './index.js';
import { useCpuBackend } from './testing.js';

beforeAll(useCpuBackend);

const cases: [VariantName, number, number][] = variantCatalog().flatMap((entry): [VariantName, number, number][] =>
  entry.name.startsWith('attention') && !entry.name.endsWith('cifar')
    ? [[entry.name, 1000, 3]] // the ImageNet builds are slow: one shape each
    : [[entry.name, 10, 3], [entry.name, 3, 1], [entry.name, 37, 3]],
);

describe('variant catalog', () => {
  it.each(cases)('%s with %i classes and %i channels matches a real build', (name, numClasses, channels) => {
    const entry = variantCatalog().find((e) => e.name === name)!;
    const model = buildModel(name, { inputShape: [8, 8, channels], numClasses });
    const measured = countParams(model);
    model.dispose();
    expect(parameterCount(entry, numClasses, channels)).toBe(measured);
  });

  it.each(['lite-16', 'lite-32-fast', 'attention92-cifar'] as const)('names the mask modules of %s as a build does', (name) => {
    const model = buildModel(name, { inputShape: [16, 16, 3], numClasses: 2 });
    expect(maskModuleNames(name)).toEqual(maskLayerNames(model));
    model.dispose();
  });

  it('describes every variant with its doc line', () => {
    for (const entry of variantCatalog()) expect(entry.doc.length).toBeGreaterThan(20);
  });
});
