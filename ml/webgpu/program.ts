/**
 * What the project's WebGPU kernels need from `@tensorflow/tfjs-backend-webgpu` 4.22, typed here so that
 * nothing imports the package before Dawn (under Node) has provided `navigator.gpu`: the package
 * registers its backend at import time only when WebGPU exists.
 *
 * A program is the backend's unit of work: one compute shader with one output. The backend writes the
 * shader's header (a `Uniforms` struct with every input's and the output's shape, one storage binding
 * per input named after `variableNames`, `result` for the output, and `setOutputAtIndex`) and calls
 * `main(index)` with the flat global invocation index when the dispatch layout is flat.
 */
import type * as tf from '@tensorflow/tfjs';

export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  /** Adds `size : i32` (the output's element count) to the uniforms. */
  size?: boolean;
  /** Extra uniform fields, WGSL struct syntax (`name : f32,`); values are passed per run. */
  uniforms?: string;
  getUserCode(): string;
}

export interface UniformValue {
  type: 'float32' | 'int32' | 'uint32';
  data: number[];
}

/** The parts of the backend's `WebGPUBackend` the kernels call. */
export interface WebGpuBackend {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: UniformValue[]): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

export function flatDispatch(outputSize: number, workgroupSize: number): Pick<WebGpuProgram, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  return { dispatchLayout: { x: [0] }, dispatch: [Math.ceil(outputSize / workgroupSize), 1, 1], workgroupSize: [workgroupSize, 1, 1] };
}

export function release(backend: WebGpuBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Channels (the last axis) and rows (everything before it) of an NHWC-like tensor. */
export function channelsAndRows(shape: readonly number[]): { channels: number; rows: number } {
  const channels = shape[shape.length - 1]!;
  const size = shape.reduce((a, b) => a * b, 1);
  return { channels, rows: channels === 0 ? 0 : size / channels };
}
