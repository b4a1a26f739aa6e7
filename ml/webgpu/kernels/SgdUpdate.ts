/**
 * One SGD step for one weight on the `webgpu` backend (the rule of ml/train/sgd.ts, kernel name and
 * attributes as the wasm kernel's): two programs, the new velocity then the new weight, where the
 * composition of stock ops takes 6-8 programs and uploads scalar tensors for the factors.
 *
 *   g' = g + λ·w;   v' = μ·v + g';   w' = w − η·(g' + μ·v')  (Nesterov)  or  w − η·v'
 */
import type * as tf from '@tensorflow/tfjs';
import { flatDispatch, type WebGpuBackend, type WebGpuProgram } from '../program.js';
import { SgdUpdate, type SgdUpdateAttrs } from '../../wasm/kernels/SgdUpdate.js';

class SgdProgram implements WebGpuProgram {
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: WebGpuProgram['dispatchLayout'];
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly variableNames: string[];
  readonly size = true;
  readonly uniforms = 'learningRate : f32, momentum : f32, weightDecay : f32,';

  constructor(
    private readonly output: 'velocity' | 'weight',
    private readonly nesterov: boolean,
    private readonly first: boolean,
    elements: number,
  ) {
    this.outputShape = [elements];
    ({ dispatchLayout: this.dispatchLayout, dispatch: this.dispatch, workgroupSize: this.workgroupSize } = flatDispatch(elements, 128));
    this.variableNames = output === 'velocity' ? ['w', 'g', 'v'] : ['w', 'g', 'velocity'];
    this.shaderKey = `attentionStudio_sgd_${output}_${nesterov}_${first}`;
  }

  getUserCode(): string {
    const value =
      this.output === 'velocity'
        ? // Every input must appear in the shader (an unused one drops out of its binding layout).
          this.first ? 'grad + 0.0 * f32(v[index] != v[index])' : 'uniforms.momentum * v[index] + grad'
        : this.nesterov
          ? 'w[index] - uniforms.learningRate * (grad + uniforms.momentum * velocity[index])'
          : 'w[index] - uniforms.learningRate * velocity[index]';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let grad = g[index] + uniforms.weightDecay * w[index];
          setOutputAtIndex(index, ${value});
        }
      }
    `;
  }
}

function sgdUpdate({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const gpu = backend as WebGpuBackend;
  const { w, g, v } = inputs as { w: tf.TensorInfo; g: tf.TensorInfo; v: tf.TensorInfo };
  const { learningRate, momentum, weightDecay, nesterov, first } = attrs as unknown as SgdUpdateAttrs;
  const elements = w.shape.reduce((a, b) => a * b, 1);
  const uniforms = [{ type: 'float32' as const, data: [learningRate] }, { type: 'float32' as const, data: [momentum] }, { type: 'float32' as const, data: [weightDecay] }];
  const velocity = gpu.runWebGPUProgram(new SgdProgram('velocity', nesterov, first, elements), [w, g, v], 'float32', uniforms);
  const next = gpu.runWebGPUProgram(new SgdProgram('weight', nesterov, first, elements), [w, g, velocity], 'float32', uniforms);
  return [
    { dataId: next.dataId, shape: w.shape, dtype: 'float32' },
    { dataId: velocity.dataId, shape: w.shape, dtype: 'float32' },
  ];
}

export const sgdUpdateConfig: tf.KernelConfig = {
  kernelName: SgdUpdate,
  backendName: 'webgpu',
  kernelFunc: sgdUpdate as unknown as tf.KernelFunc,
};
