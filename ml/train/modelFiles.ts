/**
 * A LayersModel as the two files of tfjs's Layers format, model.json (topology + weights manifest) and
 * weights.bin, byte-compatible with what `tf.loadLayersModel('file://…/model.json')` (tfjs-node) or an
 * HTTP load reads. Our own because plain `@tensorflow/tfjs` has no file-system handler, and checkpoints
 * need the bytes in hand to write them atomically beside the optimiser state.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface LayersModelFiles {
  /** Contents of model.json. */
  modelJson: string;
  /** Contents of weights.bin: every weight, batch-norm moving statistics included. */
  weights: Uint8Array;
}

export async function encodeLayersModel(model: tf.LayersModel): Promise<LayersModelFiles> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error('The model produced no weights to save.');
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
  };
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  return { modelJson: JSON.stringify(modelJson), weights };
}

/** A Node Buffer's bytes as a standalone ArrayBuffer (Buffers may share a larger pool). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Loads model.json + weights.bin from a folder. Custom layers (the attention mask layers) must be
 * registered first: import `ml/model` before loading one of its networks.
 */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  const manifest = modelJson.weightsManifest;
  if (manifest.length !== 1 || manifest[0].paths.length !== 1) {
    throw new Error(`${join(dir, MODEL_JSON)} lists ${manifest.flatMap((g) => g.paths).length} weight files; this loader reads one.`);
  }
  const weights = await readFile(join(dir, manifest[0].paths[0]));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: manifest[0].weights,
      weightData: toArrayBuffer(weights),
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
    }),
  );
}
