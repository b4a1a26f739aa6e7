/**
 * Whole networks through the ONNX exporter, run in ONNX Runtime for Node against the studio's tfjs
 * network: every mask depth, mask activation and fusion, both stems, trained-style fused layers.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuseBatchNormRelu } from '../../layers/fuseBatchNormRelu.js';
import { buildNetwork, variants, type FusionKind, type MaskActivationKind, type VariantName } from '../../model/index.js';
import { narrowedSpec, useCpuBackend } from '../../model/testing.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, modelToOnnx } from './exportOnnx.js';
import { decodeModel, ONNX_OPSET } from './graph.js';
import { relativeDifference, runOnnx } from './testing.js';

beforeAll(useCpuBackend);

interface Row {
  variant: VariantName;
  size: number;
  channels: 1 | 3;
  maskActivation: MaskActivationKind;
  fusion: FusionKind;
}

const rows: Row[] = [
  { variant: 'lite-16', size: 16, channels: 3, maskActivation: 'mixed', fusion: 'arl' },
  { variant: 'lite-32', size: 28, channels: 1, maskActivation: 'mixed', fusion: 'arl' },
  { variant: 'lite-16', size: 14, channels: 3, maskActivation: 'spatial', fusion: 'nal' },
  { variant: 'lite-32-fast', size: 12, channels: 3, maskActivation: 'channel', fusion: 'arl' },
  { variant: 'attention56', size: 32, channels: 3, maskActivation: 'mixed', fusion: 'arl' },
];

/** Trained-looking batch norms: moving statistics and γ/β away from 0/1. */
function randomiseBatchNorms(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.getWeights().map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 3, 'float32', i) : tf.randomNormal(w.shape, i === 0 ? 1 : 0, 0.3, 'float32', i + 7)));
    layer.setWeights(values);
    tf.dispose(values);
  }
}

describe.each(rows)('$variant at $size x $size x $channels ($maskActivation, $fusion)', ({ variant, size, channels, maskActivation, fusion }) => {
  it('predicts in ONNX Runtime what the studio predicts, at any batch size', async () => {
    const model = buildNetwork(narrowedSpec(variants[variant].spec, 64), { inputShape: [size, size, channels], numClasses: 7, maskActivation, fusion });
    randomiseBatchNorms(model);
    const fused = fuseBatchNormRelu(model);
    const onnx = await modelToOnnx(fused, { metadata: { labels: '["a"]' }, docString: 'test' });

    const decoded = decodeModel(onnx);
    const graph = decoded.graph!;
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', ONNX_OPSET]]);
    expect(graph.node!.every((node) => !node.domain)).toBe(true);
    const dims = graph.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect([graph.input![0]!.name, dims]).toEqual([ONNX_INPUT_NAME, ['N', channels, size, size]]);
    expect(graph.output![0]!.name).toBe(ONNX_OUTPUT_NAME);
    expect(decoded.metadataProps.map((p) => [p.key, p.value])).toEqual([['labels', '["a"]']]);

    for (const batch of [1, 3]) {
      const images = tf.randomUniform([batch, size, size, channels], -1, 1, 'float32', batch) as tf.Tensor4D;
      const expected = tf.tidy(() => tf.softmax(model.predict(images) as tf.Tensor));
      const logits = await runOnnx(onnx, images);
      const actual = tf.softmax(logits);
      expect(actual.shape).toEqual([batch, 7]);
      expect(relativeDifference(expected, actual)).toBeLessThan(1e-5);
      expect(Array.from(tf.argMax(actual, -1).dataSync())).toEqual(Array.from(tf.argMax(expected, -1).dataSync()));
      tf.dispose([images, expected, logits, actual]);
    }
    fused.dispose();
    model.dispose();
  });
});
