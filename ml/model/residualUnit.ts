/**
 * The pre-activation bottleneck residual unit (He et al., "Identity Mappings in Deep Residual
 * Networks"), exactly as in the official Attention-56/92 prototxts (spec §2.1, §7.7):
 *
 *   a   = ReLU(BN(x))                        shared by the residual branch and the projection
 *   r   = Conv1×1(b)(a) → BN-ReLU → Conv3×3(b, stride s) → BN-ReLU → Conv1×1(C_out)
 *   out = r + x              when the shape is unchanged
 *   out = r + Conv1×1(C_out, stride s)(a)   otherwise (reads a, not x)
 *
 * with b = C_out / 4, no conv biases and nothing after the add.
 */
import * as tf from '@tensorflow/tfjs';
import { bnRelu, conv } from './primitives.js';

export interface ResidualUnitOptions {
  /** Output channels C_out; must be divisible by 4 (the bottleneck is C_out / 4). */
  filters: number;
  /** Stride of the 3×3 conv and of the projection; 2 halves the resolution. Default 1. */
  strides?: 1 | 2;
}

/**
 * Layers are named `<name>_bn1, _relu1, _conv1, _bn2, _relu2, _conv2, _bn3, _relu3, _conv3`, plus
 * `<name>_shortcut` (projection, when present) and `<name>_add`.
 */
export function residualUnit(x: tf.SymbolicTensor, name: string, options: ResidualUnitOptions): tf.SymbolicTensor {
  const { filters } = options;
  const strides = options.strides ?? 1;
  if (!Number.isInteger(filters) || filters <= 0 || filters % 4 !== 0) {
    throw new Error(`${name}: residual unit width must be a positive multiple of 4, got ${filters}`);
  }
  // Integer bottleneck width: reimplementations that wrote C/4 in Python 3 got floats (spec §7.9).
  const bottleneck = filters / 4;
  const inputChannels = x.shape[x.shape.length - 1];

  const activated = bnRelu(x, name, '1');
  let residual = conv(activated, `${name}_conv1`, { filters: bottleneck, kernelSize: 1 });
  residual = bnRelu(residual, name, '2');
  residual = conv(residual, `${name}_conv2`, { filters: bottleneck, kernelSize: 3, strides });
  residual = bnRelu(residual, name, '3');
  residual = conv(residual, `${name}_conv3`, { filters, kernelSize: 1 });

  const shortcut =
    inputChannels === filters && strides === 1 ? x : conv(activated, `${name}_shortcut`, { filters, kernelSize: 1, strides });
  return tf.layers.add({ name: `${name}_add` }).apply([residual, shortcut]) as tf.SymbolicTensor;
}

/** `count` units of the same width, named `<prefix><first>`, `<prefix><first + 1>`, … */
export function residualUnits(
  x: tf.SymbolicTensor,
  prefix: string,
  count: number,
  filters: number,
  first = 1,
): tf.SymbolicTensor {
  let h = x;
  for (let i = 0; i < count; i++) h = residualUnit(h, `${prefix}${first + i}`, { filters });
  return h;
}
