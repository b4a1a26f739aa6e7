/**
 * `ScaleShiftRelu`: y = max(0, x·s + t) per channel, the inference form of a batch norm followed by a
 * ReLU (s = γ/√(σ² + ε), t = β − μ·s). It is a DepthwiseConv2D with a 1×1 kernel, a bias and a ReLU (so
 * its weights and config are that layer's, and an export renames it back to the stock class), but it
 * runs as one fused depthwise convolution: tfjs-layers' DepthwiseConv2D applies its bias and activation
 * as two more passes over the tensor.
 */
import * as tf from '@tensorflow/tfjs';

type DepthwiseArgs = Parameters<typeof tf.layers.depthwiseConv2d>[0];
type DepthwiseLayer = ReturnType<typeof tf.layers.depthwiseConv2d>;

/** The stock class, which tfjs exports only through its factory function. */
const DepthwiseConv2D = Object.getPrototypeOf(tf.layers.depthwiseConv2d({ kernelSize: 1 })).constructor as new (
  args: DepthwiseArgs,
) => DepthwiseLayer;

interface DepthwiseFields {
  depthwiseKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

export class ScaleShiftRelu extends DepthwiseConv2D {
  static className = 'ScaleShiftRelu';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const fields = this as unknown as DepthwiseFields;
      return tf.fused.depthwiseConv2d({
        x,
        filter: fields.depthwiseKernel.read() as tf.Tensor4D,
        strides: 1,
        pad: 'valid',
        bias: fields.bias.read(),
        activation: 'relu',
      });
    });
  }
}

tf.serialization.registerClass(ScaleShiftRelu as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
