/**
 * What the studio shows about each variant before anything is built: its doc line, nominal input and
 * trainable-parameter count for the workspace's class count and channels. Counts come from a table
 * measured at 10 classes and RGB input (pinned against real builds by catalog.test.ts) and the two
 * terms that change with the data: the classifier, (features + 1) x classes, and the stem conv,
 * k x k x channels x filters (it has no bias: a BN follows it).
 */
import { variantNames, variants, type VariantName } from './variants.js';

/** Trainable parameters with 10 classes and 3 input channels (README table). */
const tenClassRgbParams: Record<VariantName, number> = {
  attention56: 31_810_728 - 990 * 2049, // the README row is for 1000 classes
  attention92: 52_466_344 - 990 * 2049,
  'attention56-cifar': 1_030_394,
  'attention92-cifar': 1_841_274,
  'lite-32': 262_650,
  'lite-16': 68_122,
  'lite-32-fast': 245_466,
};

export interface VariantCatalogEntry {
  name: VariantName;
  doc: string;
  nominalInputShape: [number, number, number];
  /** Channels of the pooled features the classifier reads. */
  featureWidth: number;
  /** Stem conv weights per input channel (k x k x filters). */
  stemWeightsPerChannel: number;
  /** Trainable parameters with 10 classes, RGB. */
  tenClassRgbParams: number;
}

export function variantCatalog(): VariantCatalogEntry[] {
  return variantNames.map((name) => {
    const { doc, nominalInputShape, spec } = variants[name];
    return {
      name,
      doc,
      nominalInputShape,
      featureWidth: spec.stages.at(-1)!.width,
      stemWeightsPerChannel: spec.stem.kernelSize * spec.stem.kernelSize * spec.stem.filters,
      tenClassRgbParams: tenClassRgbParams[name],
    };
  });
}

/** The attention modules' mask layer names in network order, as `maskLayerNames` finds them in a build. */
export function maskModuleNames(name: VariantName): string[] {
  return variants[name].spec.stages.flatMap((stage, s) => Array.from({ length: stage.modules }, (_, k) => `stage${s + 1}_attn${k + 1}_mask`));
}

/** Trainable parameters of a variant built for `numClasses` classes and `channels` input channels. */
export function parameterCount(entry: VariantCatalogEntry, numClasses: number, channels: number): number {
  return entry.tenClassRgbParams + (numClasses - 10) * (entry.featureWidth + 1) + (channels - 3) * entry.stemWeightsPerChannel;
}
