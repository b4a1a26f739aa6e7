/**
 * The three layer kinds every block is made of (convolution, batch norm, ReLU), with the conventions of
 * the official Caffe prototxts (fwang91/residual-attention-network, spec §2.1) fixed in one place.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Variance of a standard normal truncated to ±2σ (tfjs re-draws samples beyond 2σ), i.e.
 * 1 − 4·φ(2)/(2Φ(2) − 1). tfjs's `heNormal` truncates without correcting for it, so its weights have
 * only 0.88× the MSRA standard deviation.
 */
const TRUNCATED_NORMAL_VARIANCE = 0.7737413;

/**
 * MSRA initialisation (He et al. 2015, used by the paper "following previous study", spec §4.1):
 * weights with variance 2 / fan_in. Scaled up to cancel the truncation above; it is a stock
 * `VarianceScaling`, so saved models need no custom initializer to load.
 */
export function msraInitializer(): ReturnType<typeof tf.initializers.varianceScaling> {
  return tf.initializers.varianceScaling({ scale: 2 / TRUNCATED_NORMAL_VARIANCE, mode: 'fanIn', distribution: 'normal' });
}

/**
 * Batch-norm settings. ε = 1e-5 is Caffe's and PyTorch's default (tfjs's is 1e-3). The moving averages
 * keep 0.9 of the old value per step (PyTorch's momentum 0.1): the studio trains for few epochs, and
 * tfjs's 0.99 leaves the inference statistics lagging far behind the weights. γ = 1, β = 0 at init.
 */
export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.9;

export interface ConvOptions {
  filters: number;
  kernelSize: number;
  strides?: number;
}

/**
 * A bias-free convolution (`bias_term: false` on every conv of the prototxts). Caffe pads
 * (kernel − 1) / 2 on every side; tfjs's 'same' agrees for stride 1 but puts the odd padding pixel at the
 * bottom/right for stride 2, shifting the sampling grid by one pixel on even inputs. So strided convs
 * pad explicitly and then run 'valid': output = floor((H + 2·pad − k) / s) + 1, exactly Caffe's.
 */
export function conv(x: tf.SymbolicTensor, name: string, options: ConvOptions): tf.SymbolicTensor {
  const strides = options.strides ?? 1;
  const pad = (options.kernelSize - 1) / 2;
  let input = x;
  let padding: 'same' | 'valid' = 'same';
  if (strides > 1) {
    padding = 'valid';
    if (pad > 0) {
      input = tf.layers.zeroPadding2d({ padding: [[pad, pad], [pad, pad]], name: `${name}_pad` }).apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.layers
    .conv2d({
      filters: options.filters,
      kernelSize: options.kernelSize,
      strides,
      padding,
      useBias: false,
      kernelInitializer: msraInitializer(),
      name,
    })
    .apply(input) as tf.SymbolicTensor;
}

export function batchNorm(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers
    .batchNormalization({ axis: -1, epsilon: BATCH_NORM_EPSILON, momentum: BATCH_NORM_MOMENTUM, name })
    .apply(x) as tf.SymbolicTensor;
}

export function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
}

/** BN then ReLU, named `<prefix>_bn<suffix>` and `<prefix>_relu<suffix>`. */
export function bnRelu(x: tf.SymbolicTensor, prefix: string, suffix = ''): tf.SymbolicTensor {
  return relu(batchNorm(x, `${prefix}_bn${suffix}`), `${prefix}_relu${suffix}`);
}

/**
 * Max-pool 3×3, stride 2, as in the stem and the soft mask. tfjs's 'same' gives ceil(H / 2), which is
 * Caffe's "pad 0, ceil mode" on even sizes (same windows, 56→28→14→7) and PyTorch's "pad 1, floor"
 * on odd ones (7→4, as spec §3.3 needs for 28→14→7→4); padded cells never win the max.
 */
export function maxPool(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name }).apply(x) as tf.SymbolicTensor;
}
