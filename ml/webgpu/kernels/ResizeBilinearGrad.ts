/**
 * The gradient of a bilinear resize on the `webgpu` backend, replacing tfjs 4.22's: that one sizes its
 * search window from 1 / (the resize's scale), which is infinite when an input side is 1 pixel (align
 * corners: scale = (1 − 1) / (out − 1) = 0), and returns garbage there. The attention masks of the
 * smaller networks (and of any network on small images) upsample exactly such 1x1 maps.
 *
 * Each input pixel gathers from the output pixels whose interpolation reads it: along each axis the
 * output rows y with floor(y·s) = r or ceil(y·s) = r, found in a window around r / s (all of them when
 * s = 0), the weights being those of the forward resize. No atomics, so results are deterministic.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WebGpuBackend, WebGpuProgram } from '../program.js';

class ResizeBilinearGradProgram implements WebGpuProgram {
  readonly outputShape: number[];
  readonly shaderKey = 'attentionStudio_resizeBilinearGrad';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly variableNames = ['dy'];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly uniforms = 'scale : vec2<f32>,';

  constructor(imageShape: readonly number[]) {
    this.outputShape = [...imageShape];
    this.dispatchLayout = { x: imageShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(imageShape.reduce((a, b) => a * b, 1) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      // The dy rows (or columns) that can read input row r: all of them when the scale is 0.
      fn windowOf(r : i32, scale : f32, dySize : i32) -> vec2<i32> {
        if (scale <= 0.0) {
          return vec2<i32>(0, dySize - 1);
        }
        let first = i32(floor(f32(r - 1) / scale)) - 1;
        let last = i32(ceil(f32(r + 1) / scale)) + 1;
        return vec2<i32>(max(first, 0), min(last, dySize - 1));
      }

      // The weight with which dy row y reads input row r (0 when it does not read it).
      fn weightOf(y : i32, r : i32, scale : f32, inSize : i32) -> f32 {
        let source = f32(y) * scale;
        let top = i32(floor(source));
        let bottom = i32(min(ceil(source), f32(inSize - 1)));
        let lerp = source - f32(top);
        var w = 0.0;
        if (r == top) {
          w = w + (1.0 - lerp);
        }
        if (r == bottom) {
          w = w + lerp;
        }
        return w;
      }

      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let b = coords[0];
          let r = coords[1];
          let c = coords[2];
          let d = coords[3];
          let rows = windowOf(r, uniforms.scale.x, uniforms.dyShape[1]);
          let cols = windowOf(c, uniforms.scale.y, uniforms.dyShape[2]);
          var sum = 0.0;
          for (var y = rows.x; y <= rows.y; y = y + 1) {
            let wy = weightOf(y, r, uniforms.scale.x, uniforms.outShape[1]);
            if (wy == 0.0) {
              continue;
            }
            for (var x = cols.x; x <= cols.y; x = x + 1) {
              let wx = weightOf(x, c, uniforms.scale.y, uniforms.outShape[2]);
              if (wx != 0.0) {
                sum = sum + getDy(b, y, x, d) * wy * wx;
              }
            }
          }
          setOutputAtIndex(index, sum);
        }
      }
    `;
  }
}

function resizeBilinearGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const { alignCorners } = attrs as unknown as { alignCorners: boolean };
  const [, inHeight, inWidth] = images.shape as number[];
  const [, outHeight, outWidth] = dy.shape as number[];
  // The forward resize's source position per output pixel: y · (in − 1) / (out − 1) with aligned
  // corners (when out > 1), else y · in / out.
  const scale = (inSize: number, outSize: number) =>
    alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  return (backend as WebGpuBackend).runWebGPUProgram(new ResizeBilinearGradProgram(images.shape), [dy], 'float32', [
    { type: 'float32', data: [scale(inHeight!, outHeight!), scale(inWidth!, outWidth!)] },
  ]);
}

export const resizeBilinearGradConfig: tf.KernelConfig = {
  kernelName: 'ResizeBilinearGrad',
  backendName: 'webgpu',
  kernelFunc: resizeBilinearGrad as unknown as tf.KernelFunc,
};
