/**
 * Per-channel reductions over the rows of an NHWC tensor (every axis but the last), the heart of the
 * fused batch-norm kernels. Two steps, so the work spreads over the whole GPU:
 *
 * 1. `ChannelPartialsProgram`: each workgroup takes 64 channels of one chunk of rows; its 4 lanes walk
 *    the chunk's rows with neighbouring threads on neighbouring channels (coalesced reads) and meet in
 *    workgroup memory. Output [chunks, 2, C]: per chunk, two numbers per channel.
 * 2. `ChannelFinalizeProgram`: one thread per channel combines its chunks.
 *
 * Forward statistics use Welford's update within a thread and Chan et al.'s pairwise combination
 * across threads and chunks (mean and sum of squared deviations), so the variance does not suffer the
 * cancellation of E[x²] − E[x]² in float32. Gradient sums are plain sums of dz and dz·(x − μ).
 */
import type { WebGpuProgram } from '../program.js';

/** Channels per workgroup (x) and row lanes (y). */
const CHANNELS_PER_GROUP = 64;
const LANES = 4;
/** Rows per chunk: small enough for many workgroups, large enough that the finalize loop stays short. */
const MIN_ROWS_PER_CHUNK = 256;
const MAX_CHUNKS = 4096;

export interface Chunking {
  rowsPerChunk: number;
  chunks: number;
}

export function chunking(rows: number): Chunking {
  const rowsPerChunk = Math.max(MIN_ROWS_PER_CHUNK, Math.ceil(rows / MAX_CHUNKS));
  return { rowsPerChunk, chunks: Math.max(1, Math.ceil(rows / rowsPerChunk)) };
}

/**
 * 'moments': input x; per chunk (mean, M2) of each channel.
 * 'gradient': inputs dy, x, y (the forward output), mean; per chunk (Σ dz, Σ dz·(x − μ)) with
 * dz = dy where y > 0 (the ReLU's gradient), else 0.
 */
export class ChannelPartialsProgram implements WebGpuProgram {
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [2], y: [0] };
  readonly dispatch: [number, number, number];
  readonly variableNames: string[];
  readonly workgroupSize: [number, number, number] = [CHANNELS_PER_GROUP, LANES, 1];
  readonly uniforms = 'channels : i32, rows : i32, rowsPerChunk : i32,';

  constructor(private readonly mode: 'moments' | 'gradient', channels: number, chunks: number) {
    this.outputShape = [chunks, 2, channels];
    this.dispatch = [Math.ceil(channels / CHANNELS_PER_GROUP), chunks, 1];
    this.variableNames = mode === 'moments' ? ['x'] : ['dy', 'x', 'y', 'mean'];
    this.shaderKey = `attentionStudio_channelPartials_${mode}`;
  }

  getUserCode(): string {
    const slots = CHANNELS_PER_GROUP * LANES;
    const moments = this.mode === 'moments';
    const accumulate = moments
      ? `let v = x[r * uniforms.channels + c];
          n = n + 1.0;
          let d = v - a;
          a = a + d / n;
          b = b + d * (v - a);`
      : `let i = r * uniforms.channels + c;
          let dz = select(0.0, dy[i], y[i] > 0.0);
          a = a + dz;
          b = b + dz * (x[i] - mu);`;
    const combine = moments
      ? `let nb = partN[other];
          if (nb > 0.0) {
            let total = n + nb;
            let delta = partA[other] - a;
            a = a + delta * nb / total;
            b = b + partB[other] + delta * delta * n * nb / total;
            n = total;
          }`
      : `a = a + partA[other];
          b = b + partB[other];`;
    return `
      var<workgroup> partN : array<f32, ${slots}>;
      var<workgroup> partA : array<f32, ${slots}>;
      var<workgroup> partB : array<f32, ${slots}>;

      fn main() {
        let c = i32(workgroupId.x) * ${CHANNELS_PER_GROUP} + i32(localId.x);
        let lane = i32(localId.y);
        let chunk = i32(workgroupId.y);
        let start = chunk * uniforms.rowsPerChunk;
        let end = min(start + uniforms.rowsPerChunk, uniforms.rows);
        var n = 0.0;
        var a = 0.0;
        var b = 0.0;
        if (c < uniforms.channels) {
          ${moments ? '' : 'let mu = mean[c];'}
          for (var r = start + lane; r < end; r = r + ${LANES}) {
            ${accumulate}
          }
        }
        let slot = lane * ${CHANNELS_PER_GROUP} + i32(localId.x);
        partN[slot] = n;
        partA[slot] = a;
        partB[slot] = b;
        workgroupBarrier();
        if (lane == 0 && c < uniforms.channels) {
          for (var l = 1; l < ${LANES}; l = l + 1) {
            let other = l * ${CHANNELS_PER_GROUP} + i32(localId.x);
            ${combine}
          }
          result[(chunk * 2) * uniforms.channels + c] = a;
          result[(chunk * 2 + 1) * uniforms.channels + c] = b;
        }
      }
    `;
  }
}

/**
 * One thread per channel over the partials [chunks, 2, C]:
 * 'mean' and 'variance' (biased, as batch norm uses) from moment partials;
 * 'sumDz' (= dβ) and 'sumDzXhat' (= dγ = r·Σ dz·(x − μ), input `variance` for r) from gradient
 * partials; 'coefficients' [3, C]: a, b, k with dx = a·dz + b·(x − μ) + k (inputs gamma, variance), from
 *   dx = γ·r·(dz − Σdz/M − (x − μ)·r²·Σdz(x − μ)/M).
 */
export type FinalizeMode = 'mean' | 'variance' | 'sumDz' | 'sumDzXhat' | 'coefficients';

export class ChannelFinalizeProgram implements WebGpuProgram {
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly variableNames: string[];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = 'channels : i32, rows : i32, rowsPerChunk : i32, chunks : i32, epsilon : f32,';

  constructor(private readonly mode: FinalizeMode, channels: number) {
    this.outputShape = mode === 'coefficients' ? [3, channels] : [channels];
    this.dispatch = [Math.ceil(channels / 64), 1, 1];
    this.variableNames = mode === 'sumDzXhat' ? ['partials', 'variance'] : mode === 'coefficients' ? ['partials', 'gamma', 'variance'] : ['partials'];
    this.shaderKey = `attentionStudio_channelFinalize_${mode}`;
  }

  getUserCode(): string {
    const momentsLoop = `
          let nb = f32(min(uniforms.rowsPerChunk, uniforms.rows - k * uniforms.rowsPerChunk));
          let total = n + nb;
          let delta = partials[(k * 2) * uniforms.channels + c] - a;
          a = a + delta * nb / total;
          b = b + partials[(k * 2 + 1) * uniforms.channels + c] + delta * delta * n * nb / total;
          n = total;`;
    const sumsLoop = `
          a = a + partials[(k * 2) * uniforms.channels + c];
          b = b + partials[(k * 2 + 1) * uniforms.channels + c];`;
    const moments = this.mode === 'mean' || this.mode === 'variance';
    const rows = 'f32(uniforms.rows)';
    const finish: Record<FinalizeMode, string> = {
      mean: 'result[c] = a;',
      variance: `result[c] = b / ${rows};`,
      sumDz: 'result[c] = a;',
      sumDzXhat: 'result[c] = b * inverseSqrt(variance[c] + uniforms.epsilon);',
      coefficients: `
          let r = inverseSqrt(variance[c] + uniforms.epsilon);
          let scale = gamma[c] * r;
          result[c] = scale;
          result[uniforms.channels + c] = -scale * r * r * b / ${rows};
          result[2 * uniforms.channels + c] = -scale * a / ${rows};`,
    };
    return `
      fn main(index : i32) {
        let c = index;
        if (c >= uniforms.channels) {
          return;
        }
        var n = 0.0;
        var a = 0.0;
        var b = 0.0;
        for (var k = 0; k < uniforms.chunks; k = k + 1) {
          ${moments ? momentsLoop : sumsLoop}
        }
        ${finish[this.mode]}
      }
    `;
  }
}

/**
 * Elementwise over the whole tensor, channel c = index mod C:
 * 'normalize': y = max(0, (x − μ)·r·γ + β) with r = 1/√(σ² + ε) (inputs x, mean, variance, gamma, beta);
 * 'gradient': dx = a·dz + b·(x − μ) + k with dz = dy·[y > 0] (inputs dy, x, y, mean, coefficients).
 */
export class ChannelElementwiseProgram implements WebGpuProgram {
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly variableNames: string[];
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly size = true;
  readonly uniforms = 'channels : i32, epsilon : f32,';

  constructor(private readonly mode: 'normalize' | 'gradient', shape: readonly number[]) {
    this.outputShape = [...shape];
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / 128), 1, 1];
    this.variableNames = mode === 'normalize' ? ['x', 'mean', 'variance', 'gamma', 'beta'] : ['dy', 'x', 'y', 'mean', 'coefficients'];
    this.shaderKey = `attentionStudio_channelElementwise_${mode}`;
  }

  getUserCode(): string {
    const body =
      this.mode === 'normalize'
        ? `let r = inverseSqrt(variance[c] + uniforms.epsilon);
          setOutputAtIndex(index, max((x[index] - mean[c]) * r * gamma[c] + beta[c], 0.0));`
        : `let dz = select(0.0, dy[index], y[index] > 0.0);
          let C = uniforms.channels;
          setOutputAtIndex(index, coefficients[c] * dz + coefficients[C + c] * (x[index] - mean[c]) + coefficients[2 * C + c]);`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels;
          ${body}
        }
      }
    `;
  }
}
