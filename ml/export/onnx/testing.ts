/**
 * Test helpers: run an exported ONNX model in ONNX Runtime for Node on a tfjs NHWC batch and give its
 * output back in tfjs's layout, so it can be compared with the studio's own output value for value.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './exportOnnx.js';

export async function runOnnx(model: Uint8Array, images: tf.Tensor4D): Promise<tf.Tensor> {
  const session = await ort.InferenceSession.create(model);
  try {
    const nchw = tf.tidy(() => tf.transpose(images, [0, 3, 1, 2]));
    const input = new ort.Tensor('float32', Float32Array.from(await nchw.data()), nchw.shape);
    nchw.dispose();
    const output = (await session.run({ [ONNX_INPUT_NAME]: input }))[ONNX_OUTPUT_NAME]!;
    const dims = output.dims.map(Number);
    const values = Float32Array.from(output.data as Float32Array);
    return tf.tidy(() => {
      const tensor = tf.tensor(values, dims);
      return dims.length === 4 ? tf.transpose(tensor, [0, 2, 3, 1]) : tensor;
    });
  } finally {
    await session.release();
  }
}

/** max |a − b| / max(1, max |a|): float32 rounding gives about 1e-6. */
export function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const scale = Math.max(1, tf.max(tf.abs(a)).dataSync()[0]!);
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / scale;
  });
}
