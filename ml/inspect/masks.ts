/**
 * The network's attention, as pictures: for each attention module, its soft mask M(x) (spec §2.2)
 * reduced to one map by the mean over channels, optionally resized to the image's own size, as bytes
 * 0..255 for 0..1. The mean over channels is what the paper's figures show of a mixed mask; channel
 * attention (f2, values in [−1, 1]) is mapped to [0, 1] first.
 */
import * as tf from '@tensorflow/tfjs';
import { readAll } from '../engine/read.js';
import { buildInspectionModel, maskLayerNames } from '../model/inspect.js';
import type { ImageShape } from '../train/dataSource.js';
import type { ChannelStats } from '../train/normalization.js';
import { imagesToTensor } from '../train/preprocess.js';

export interface MaskMap {
  /** The mask layer's name, e.g. stage1_attn1_mask. */
  module: string;
  height: number;
  width: number;
  /** height x width bytes, row-major; 255 = fully attended. */
  data: Uint8Array;
}

export interface ImageAttention {
  /** Class probabilities (softmax of the logits). */
  probabilities: Float32Array;
  predicted: number;
  masks: MaskMap[];
}

export interface MaskOptions {
  normalization: ChannelStats;
  /** Resize every map to this size (height, width); default: each module's own resolution. */
  outputSize?: readonly [number, number];
  /** 'channel' masks lie in [−1, 1]; the others in [0, 1]. Default 'mixed'. */
  maskActivation?: 'mixed' | 'channel' | 'spatial';
}

/** A reusable inspector over one model: builds the multi-output model once. */
export class AttentionInspector {
  readonly moduleNames: string[];
  private readonly inspection: tf.LayersModel;

  constructor(readonly model: tf.LayersModel) {
    this.moduleNames = maskLayerNames(model);
    this.inspection = buildInspectionModel(model);
  }

  /** Runs `count` uint8 HWC images of `shape` (batch-norm in inference mode). */
  async inspect(images: Uint8Array, count: number, shape: ImageShape, options: MaskOptions): Promise<ImageAttention[]> {
    const outputs = tf.tidy(() => {
      const input = imagesToTensor(images, count, shape, options.normalization);
      const [logits, ...masks] = this.inspection.predict(input) as tf.Tensor[];
      const probabilities = tf.softmax(logits as tf.Tensor2D);
      const maps = masks.map((mask) => {
        let m = tf.mean(mask as tf.Tensor4D, 3, true) as tf.Tensor4D;
        if (options.maskActivation === 'channel') m = tf.div(tf.add(m, 1), 2);
        if (options.outputSize) m = tf.image.resizeBilinear(m, [options.outputSize[0], options.outputSize[1]], true);
        return tf.clipByValue(m, 0, 1);
      });
      return { probabilities, maps };
    });
    const [probs, ...values] = (await readAll([outputs.probabilities, ...outputs.maps])) as Float32Array[];
    const numClasses = probs!.length / count;
    const mapData = outputs.maps.map((m, k) => ({ shape: m.shape, values: values[k]! }));
    return Array.from({ length: count }, (_, i) => {
      const p = probs!.slice(i * numClasses, (i + 1) * numClasses);
      let predicted = 0;
      for (let c = 1; c < numClasses; c++) if (p[c]! > p[predicted]!) predicted = c;
      const masks = mapData.map(({ shape: [, h, w], values: v }, k) => {
        const size = h! * w!;
        const data = new Uint8Array(size);
        for (let j = 0; j < size; j++) data[j] = Math.round(v[i * size + j]! * 255);
        return { module: this.moduleNames[k]!, height: h!, width: w!, data };
      });
      return { probabilities: p, predicted, masks };
    });
  }
}
