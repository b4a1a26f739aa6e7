/**
 * The registry of network variants: one row of data per variant, built by `buildNetwork`.
 * Parameter counts quoted in the docs are trainable parameters (conv + FC + BN γ/β), from spec §3.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AttentionUnits } from './attentionModule.js';
import { buildNetwork, type BuildOptions, type NetworkSpec, type StageSpec } from './network.js';

export interface Variant {
  /** What the variant is and where its layout comes from. */
  doc: string;
  /** The input it was designed for, [height, width, channels]; any other size also builds. */
  nominalInputShape: [number, number, number];
  spec: NetworkSpec;
}

/** The paper's {p, t, r} = {1, 2, 1}. */
const PAPER_UNITS: AttentionUnits = { preUnits: 1, trunkUnits: 2, maskUnits: 1 };

/**
 * ImageNet layout (spec §3.1, the Caffe prototxts): 7×7/2 stem and max-pool to 56×56, a projection
 * unit then m_s modules per stage at 256/512/1024 channels with mask depths 3/2/1, then
 * U(1024→2048, /2), U, U.
 */
function imagenetSpec(modules: [number, number, number]): NetworkSpec {
  const attentionStage = (width: number, strides: 1 | 2, count: number, maskDepth: number): StageSpec => ({
    width, strides, unitsBefore: 1, modules: count, maskDepth, unitsAfter: 0,
  });
  return {
    stem: { filters: 64, kernelSize: 7, strides: 2, maxPool: true },
    stages: [
      attentionStage(256, 1, modules[0], 3),
      attentionStage(512, 2, modules[1], 2),
      attentionStage(1024, 2, modules[2], 1),
      { width: 2048, strides: 2, unitsBefore: 3, modules: 0, maskDepth: 0, unitsAfter: 0 },
    ],
    units: PAPER_UNITS,
  };
}

/**
 * CIFAR-style layout (spec §3.2 reconstruction): 3×3 stem at full resolution, then three stages
 * U(in→w, stride), m × Attention(w, d), U(w) — the paper's "two Residual Units at each stage".
 */
function cifarSpec(options: {
  stemFilters: number;
  stemStrides: 1 | 2;
  widths: [number, number, number];
  modules: number;
  maskDepths: [number, number, number];
}): NetworkSpec {
  return {
    stem: { filters: options.stemFilters, kernelSize: 3, strides: options.stemStrides, maxPool: false },
    stages: options.widths.map((width, index) => ({
      width,
      strides: index === 0 ? 1 : 2,
      unitsBefore: 1,
      modules: options.modules,
      maskDepth: options.maskDepths[index],
      unitsAfter: 1,
    })),
    units: PAPER_UNITS,
  };
}

export const variants = {
  attention56: {
    // ImageNet layout of the official Caffe prototxt (modules 1/1/1, widths 256/512/1024/2048): 31.81 M
    // parameters with 1000 classes (paper 31.9 M), 6.27 GMACs at 224 (spec §3.1).
    doc: 'The paper\'s network for large photos (Attention-56, the ImageNet version), meant for 224×224 input and a GPU: about 190 times the work of lite-32 per image at that size.',
    nominalInputShape: [224, 224, 3],
    spec: imagenetSpec([1, 1, 1]),
  },
  attention92: {
    // ImageNet layout, modules 1/2/3: 52.47 M parameters with 1000 classes (paper 51.3 M), 10.53 GMACs at 224.
    doc: 'The paper\'s larger network for photos (Attention-92): more attention modules than attention56 and about 1.7 times its work; for a GPU.',
    nominalInputShape: [224, 224, 3],
    spec: imagenetSpec([1, 2, 3]),
  },
  'attention56-cifar': {
    // The spec §3.2 reconstruction of the paper's CIFAR net: 16-channel 3×3 stem, widths 64/128/256, 1 module
    // per stage, mask depths 3/2/1; 1.03 M parameters with 10 classes, 122.8 M MACs at 32×32.
    doc: 'The paper\'s network for small images (Attention-56 as trained on CIFAR-10): about 4 times the work of lite-32 per image, for a little more accuracy.',
    nominalInputShape: [32, 32, 3],
    spec: cifarSpec({ stemFilters: 16, stemStrides: 1, widths: [64, 128, 256], modules: 1, maskDepths: [3, 2, 1] }),
  },
  'attention92-cifar': {
    // As attention56-cifar with 2 modules per stage (the paper's depth formula 36m + 20): 1.84 M parameters
    // with 10 classes (paper 1.9 M), spec §3.2.
    doc: 'Attention-92 for small images: two attention modules per stage, about twice the work of attention56-cifar per image.',
    nominalInputShape: [32, 32, 3],
    spec: cifarSpec({ stemFilters: 16, stemStrides: 1, widths: [64, 128, 256], modules: 2, maskDepths: [3, 2, 1] }),
  },
  'lite-32': {
    // Attention-56-lite (spec §3.3): the paper's topology with widths 32/64/128, mask depths 3/2/1, stage 1 at
    // full resolution; 0.263 M parameters (RGB, 10 classes), 31.4 M MACs at 32×32.
    doc: 'The recommended model without a GPU: the paper\'s design with a quarter of its channels. A good first choice for small images, and for photos at 32 to 64 px.',
    nominalInputShape: [32, 32, 3],
    spec: cifarSpec({ stemFilters: 16, stemStrides: 1, widths: [32, 64, 128], modules: 1, maskDepths: [3, 2, 1] }),
  },
  'lite-16': {
    // Widths 16/32/64 (spec §3.3): 0.068 M parameters, 8.1 M MACs at 32×32.
    doc: 'The smallest version of the lite model: for quick experiments and for checking that everything works before a longer run.',
    nominalInputShape: [32, 32, 3],
    spec: cifarSpec({ stemFilters: 16, stemStrides: 1, widths: [16, 32, 64], modules: 1, maskDepths: [3, 2, 1] }),
  },
  'lite-32-fast': {
    // A stride-2 stem (stages at input/2, /4, /8), mask depths 2/1/0: 0.245 M parameters, 8.1 M MACs at 32×32;
    // about 2 points of accuracy reported for downsampling before stage 1 (spec §3.3).
    doc: 'lite-32 that halves the image first: about 4 times less work per image, usually a couple of points less accurate.',
    nominalInputShape: [32, 32, 3],
    spec: cifarSpec({ stemFilters: 16, stemStrides: 2, widths: [32, 64, 128], modules: 1, maskDepths: [2, 1, 0] }),
  },
} satisfies Record<string, Variant>;

export type VariantName = keyof typeof variants;

export const variantNames = Object.keys(variants) as VariantName[];

export function isVariantName(name: string): name is VariantName {
  return Object.prototype.hasOwnProperty.call(variants, name);
}

/** Options for `buildModel`; see `BuildOptions` for each field's default. */
export type ModelOptions = Omit<BuildOptions, 'name'>;

/**
 * Builds a registry variant as a `tf.LayersModel` whose single output is the LOGITS of the
 * `classifier` layer (no softmax). Each attention module's mask is the layer `stage<s>_attn<k>_mask`.
 */
export function buildModel(variant: VariantName, options: ModelOptions): tf.LayersModel {
  if (!isVariantName(variant)) {
    throw new Error(`Unknown model variant '${String(variant)}'; choose one of: ${variantNames.join(', ')}`);
  }
  return buildNetwork(variants[variant].spec, { ...options, name: variant.replace(/-/g, '_') });
}
