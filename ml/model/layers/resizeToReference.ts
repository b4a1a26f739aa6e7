/**
 * Bilinear resize of one tensor to the height and width of another: Caffe's two-bottom `Interp` layer
 * as the official prototxts use it (spec §2.2, §7.1–7.2). The second input only supplies the target
 * size; it is never added. Sizes are read from the reference, never assumed ×2, so odd sizes such as
 * 4→7 work (a ×2 upsample would give 8 and break the following add).
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = tf.Shape;

export class ResizeToReference extends tf.layers.Layer {
  static className = 'ResizeToReference';

  constructor(args?: LayerArgs) {
    super(args ?? {});
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [source, reference] = pairOfShapes(inputShape);
    return [source[0], reference[1], reference[2], source[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) {
        throw new Error(`${this.name} expects [tensor, reference], got ${Array.isArray(inputs) ? inputs.length : 1} input(s)`);
      }
      const [source, reference] = inputs as [tf.Tensor4D, tf.Tensor4D];
      // Caffe's Interp maps corner to corner: scale = (in − 1) / (out − 1), i.e. align_corners=True.
      return tf.image.resizeBilinear(source, [reference.shape[1], reference.shape[2]], true);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}

function pairOfShapes(inputShape: Shape | Shape[]): [Shape, Shape] {
  if (!Array.isArray(inputShape[0]) || inputShape.length !== 2) {
    throw new Error('ResizeToReference takes two inputs: [tensor to resize, reference tensor]');
  }
  const [source, reference] = inputShape as Shape[];
  if (source.length !== 4 || reference.length !== 4) {
    throw new Error(`ResizeToReference works on NHWC images, got shapes [${source}] and [${reference}]`);
  }
  return [source, reference];
}

tf.serialization.registerClass(ResizeToReference);

/** Resizes `source` to `reference`'s height × width (align_corners=True). */
export function resizeToReference(source: tf.SymbolicTensor, reference: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return new ResizeToReference({ name }).apply([source, reference]) as tf.SymbolicTensor;
}
