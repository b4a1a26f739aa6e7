/**
 * The activation at the end of the soft mask branch (paper §3.2 / spec §2.4), x being the mask's
 * pre-activation at spatial position i and channel c:
 *   - mixed   (f1, the default): sigmoid(x_{i,c});
 *   - channel (f2): x_{i,c} / ‖x_i‖, L2 over the channels at each position;
 *   - spatial (f3): sigmoid((x_{i,c} − mean_c) / std_c), each channel standardised over its H×W map.
 * The paper measured 5.52 / 6.24 / 6.33 % CIFAR-10 error with Attention-56.
 */
import * as tf from '@tensorflow/tfjs';

export const maskActivationKinds = ['mixed', 'channel', 'spatial'] as const;
export type MaskActivationKind = (typeof maskActivationKinds)[number];

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Keeps the normalisations finite when a norm or a spatial variance is 0 (e.g. a 1×1 map). */
export const MASK_ACTIVATION_EPSILON = 1e-6;

export type MaskActivationArgs = LayerArgs & { kind: 'channel' | 'spatial' };

/** f2 and f3 as a layer; f1 is a stock sigmoid activation layer. */
export class MaskActivation extends tf.layers.Layer {
  static className = 'MaskActivation';
  readonly kind: 'channel' | 'spatial';

  constructor(args: MaskActivationArgs) {
    super(args);
    if (args.kind !== 'channel' && args.kind !== 'spatial') {
      throw new Error(`MaskActivation kind must be 'channel' or 'spatial', got '${String(args.kind)}'`);
    }
    this.kind = args.kind;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (this.kind === 'channel') {
        const norm = tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), MASK_ACTIVATION_EPSILON));
        return tf.div(x, norm);
      }
      const { mean, variance } = tf.moments(x, [1, 2], true);
      return tf.sigmoid(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, MASK_ACTIVATION_EPSILON))));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind };
  }
}

tf.serialization.registerClass(MaskActivation);

export function maskActivation(x: tf.SymbolicTensor, kind: MaskActivationKind, name: string): tf.SymbolicTensor {
  const layer = kind === 'mixed' ? tf.layers.activation({ activation: 'sigmoid', name }) : new MaskActivation({ kind, name });
  return layer.apply(x) as tf.SymbolicTensor;
}
