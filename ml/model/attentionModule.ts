/**
 * The Attention Module (paper §3, spec §2.2): p pre-processing units, then a trunk branch T of t units
 * and a soft mask branch M (bottom-up/top-down hourglass) that both read the pre-units' output, fused
 * by attention residual learning H = (1 + M(x)) ⊙ T(x) (paper eq. 3), then p post-processing units.
 *
 * The mask follows the official prototxts, including the details reimplementations got wrong
 * (spec §6.1, §7.1–7.2, §7.6): skip connections are residual units; the lowest level has 2r units;
 * each upsample is a bilinear resize to the size of the matching encoder level and is added to the
 * skip unit's output only; the head is BN-ReLU-1×1-BN-ReLU-1×1-activation with no biases.
 */
import * as tf from '@tensorflow/tfjs';
import { maskActivation, type MaskActivationKind } from './layers/maskActivation.js';
import { resizeToReference } from './layers/resizeToReference.js';
import { bnRelu, conv, maxPool } from './primitives.js';
import { residualUnit, residualUnits } from './residualUnit.js';

export const fusionKinds = ['arl', 'nal'] as const;
/**
 * 'arl' (attention residual learning, default): H = (1 + M) ⊙ T, Caffe's Eltwise PROD then SUM.
 * 'nal' (naive attention learning): H = M ⊙ T; degrades as modules are stacked (paper Table 3).
 */
export type FusionKind = (typeof fusionKinds)[number];

/** {p, t, r} of the paper; it uses {1, 2, 1} (Attention-452 uses {2, 4, 3}). */
export interface AttentionUnits {
  /** p: units before the branches split, and again after they merge. */
  preUnits: number;
  /** t: units in the trunk branch. */
  trunkUnits: number;
  /** r: units after each mask max-pool, and between adjacent mask levels on the way up. */
  maskUnits: number;
}

export interface AttentionModuleOptions extends AttentionUnits {
  /** Channels C of the module's input, trunk, mask and output. */
  filters: number;
  /** d: max-pool steps in the mask (d − 1 skip connections); 0 gives the "local convolutions" mask. */
  maskDepth: number;
  fusion: FusionKind;
  maskActivation: MaskActivationKind;
}

/**
 * Layer names under `<name>`: `_pre<i>`, `_trunk_unit<i>`, the mask (see `softMaskBranch`), whose
 * activation output is the layer `<name>_mask`, then `_gate` (M ⊙ T, ARL only), `_fuse`, `_post<i>`.
 */
export function attentionModule(x: tf.SymbolicTensor, name: string, options: AttentionModuleOptions): tf.SymbolicTensor {
  const { filters } = options;
  const channels = x.shape[x.shape.length - 1];
  if (channels !== filters) {
    throw new Error(`${name}: an attention module keeps its width, but its input has ${channels} channels, not ${filters}`);
  }
  const shared = residualUnits(x, `${name}_pre`, options.preUnits, filters);
  const trunk = residualUnits(shared, `${name}_trunk_unit`, options.trunkUnits, filters);
  const mask = softMaskBranch(shared, `${name}_mask`, options);
  const fused = fuse(mask, trunk, name, options.fusion);
  return residualUnits(fused, `${name}_post`, options.preUnits, filters);
}

/**
 * Layer names under `<name>` (= `<module>_mask`): `_down<l>_pool`, `_down<l>_unit<j>` (the lowest level
 * holds units 1..2r), `_skip<l>_*` (levels 1..d−1), `_up<l>_resize`, `_up<l>_add`, `_up<l>_unit<j>`
 * (levels d−1..1), `_up0_resize` (back to the trunk size), `_head_*`, and the activation `<name>`.
 * With d = 0 the 2r units are `_local_unit<j>`.
 */
export function softMaskBranch(
  x: tf.SymbolicTensor,
  name: string,
  options: Pick<AttentionModuleOptions, 'filters' | 'maskDepth' | 'maskUnits' | 'maskActivation'>,
): tf.SymbolicTensor {
  const { filters, maskDepth: depth, maskUnits: r } = options;
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`${name}: mask depth must be a whole number ≥ 0, got ${depth}`);

  let h = x;
  if (depth === 0) {
    h = residualUnits(h, `${name}_local_unit`, 2 * r, filters);
  } else {
    const skips: tf.SymbolicTensor[] = [];
    for (let level = 1; level <= depth; level++) {
      h = maxPool(h, `${name}_down${level}_pool`);
      h = residualUnits(h, `${name}_down${level}_unit`, r, filters);
      if (level < depth) skips[level] = residualUnit(h, `${name}_skip${level}`, { filters });
    }
    // The prototxts put 2r units at the lowest resolution: r after the pool and r more here.
    h = residualUnits(h, `${name}_down${depth}_unit`, r, filters, r + 1);
    for (let level = depth - 1; level >= 1; level--) {
      h = resizeToReference(h, skips[level], `${name}_up${level}_resize`);
      h = tf.layers.add({ name: `${name}_up${level}_add` }).apply([h, skips[level]]) as tf.SymbolicTensor;
      h = residualUnits(h, `${name}_up${level}_unit`, r, filters);
    }
    h = resizeToReference(h, x, `${name}_up0_resize`);
  }

  h = bnRelu(h, `${name}_head`, '1');
  h = conv(h, `${name}_head_conv1`, { filters, kernelSize: 1 });
  h = bnRelu(h, `${name}_head`, '2');
  h = conv(h, `${name}_head_conv2`, { filters, kernelSize: 1 });
  return maskActivation(h, options.maskActivation, name);
}

function fuse(mask: tf.SymbolicTensor, trunk: tf.SymbolicTensor, name: string, fusion: FusionKind): tf.SymbolicTensor {
  if (fusion === 'nal') {
    return tf.layers.multiply({ name: `${name}_fuse` }).apply([mask, trunk]) as tf.SymbolicTensor;
  }
  // (1 + M) ⊙ T written as T + M ⊙ T: the trunk keeps an identity path when M → 0 (paper §3.1).
  const gated = tf.layers.multiply({ name: `${name}_gate` }).apply([mask, trunk]) as tf.SymbolicTensor;
  return tf.layers.add({ name: `${name}_fuse` }).apply([trunk, gated]) as tf.SymbolicTensor;
}
