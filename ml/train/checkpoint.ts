/**
 * A training checkpoint is one folder:
 *
 *   model/model.json, model/weights.bin   the model in tfjs Layers format, written by `ml/model/io.ts`
 *                                         (`tf.loadLayersModel` reads it anywhere)
 *   optimizer.bin                         optimiser slot tensors (momentum / Adam moments), tfjs weight encoding
 *   checkpoint.json                       config, normalisation, position, optimiser manifest, caller metadata
 *
 * published atomically as a whole (`publishDirectory`). Loading it and passing it to a new `Trainer` as
 * `resume` continues the run exactly: the random streams depend only on (seed, epoch, batch).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
// Registers the network's custom layers, without which `tf.loadLayersModel` cannot rebuild a checkpoint.
import '../model/index.js';
// And the fused BatchNorm+ReLU layer the studio trains with (see ml/layers/fuseBatchNormRelu.ts).
import '../layers/batchNormRelu.js';
import { fileSystemIO } from '../model/io.js';
import { publishDirectory, writeFileDurably } from './atomicDir.js';
import type { OptimizerState } from './optimizer.js';
import type { TrainerSnapshot } from './trainer.js';

/** The model's own folder inside a checkpoint. */
export const MODEL_DIR = 'model';
const CHECKPOINT_JSON = 'checkpoint.json';
const OPTIMIZER_BIN = 'optimizer.bin';
const FORMAT = 'attention-studio-checkpoint';
const VERSION = 1;

/** What a checkpoint is taken from: a `Trainer` fits. */
export interface CheckpointSource {
  model: tf.LayersModel;
  snapshot(): TrainerSnapshot;
}

/** Free-form JSON the caller stores with a checkpoint (the studio: run id, variant, class names). */
export type CheckpointMetadata = Record<string, unknown>;

interface CheckpointJson {
  format: typeof FORMAT;
  version: number;
  savedAt: string;
  config: TrainerSnapshot['config'];
  normalization: TrainerSnapshot['normalization'];
  position: TrainerSnapshot['position'];
  optimizer: {
    kind: string;
    iterations: number;
    slots: { param: number; paramName: string; slot: string }[];
    weightSpecs: tf.io.WeightsManifestEntry[];
  };
  metadata: CheckpointMetadata;
}

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  /** Pass as `Trainer`'s `config` and `resume`; dispose `snapshot.optimizer`'s tensors once the trainer has them. */
  snapshot: TrainerSnapshot;
  metadata: CheckpointMetadata;
  savedAt: string;
}

function slotKey(slot: { param: number; slot: string }): string {
  return `${slot.param}/${slot.slot}`;
}

/** Takes a snapshot of `source` and writes it to `dir` (replacing an existing checkpoint there). */
export async function saveCheckpoint(dir: string, source: CheckpointSource, metadata: CheckpointMetadata = {}): Promise<void> {
  const snapshot = source.snapshot();
  try {
    await writeCheckpoint(dir, source.model, snapshot, metadata);
  } finally {
    disposeOptimizerState(snapshot.optimizer);
  }
}

/** Writes a model and a snapshot taken from it; the snapshot stays the caller's to dispose. */
export async function writeCheckpoint(dir: string, model: tf.LayersModel, snapshot: TrainerSnapshot, metadata: CheckpointMetadata = {}): Promise<void> {
  const optimizer = await tf.io.encodeWeights(snapshot.optimizer.slots.map((s) => ({ name: slotKey(s), tensor: s.tensor })));
  const json: CheckpointJson = {
    format: FORMAT,
    version: VERSION,
    savedAt: new Date().toISOString(),
    config: snapshot.config,
    normalization: snapshot.normalization,
    position: snapshot.position,
    optimizer: {
      kind: snapshot.optimizer.kind,
      iterations: snapshot.optimizer.iterations,
      slots: snapshot.optimizer.slots.map(({ param, paramName, slot }) => ({ param, paramName, slot })),
      weightSpecs: optimizer.specs,
    },
    metadata,
  };
  await publishDirectory(dir, async (temporary) => {
    await model.save(fileSystemIO(join(temporary, MODEL_DIR)));
    await writeFileDurably(join(temporary, OPTIMIZER_BIN), new Uint8Array(optimizer.data));
    await writeFileDurably(join(temporary, CHECKPOINT_JSON), JSON.stringify(json, null, 2));
  });
}

export function disposeOptimizerState(state: OptimizerState): void {
  state.slots.forEach((s) => s.tensor.dispose());
}

async function readCheckpointJson(dir: string): Promise<CheckpointJson> {
  const path = join(dir, CHECKPOINT_JSON);
  let json: CheckpointJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as CheckpointJson;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `No checkpoint at ${dir} (${CHECKPOINT_JSON} is missing).` : `${path} is unreadable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (json.format !== FORMAT) throw new Error(`${path} is not an Attention Studio checkpoint.`);
  if (json.version > VERSION) {
    throw new Error(`${path} was written by a newer Attention Studio (checkpoint version ${json.version}); update the app to load it.`);
  }
  return json;
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const json = await readCheckpointJson(dir);
  const bytes = await readFile(join(dir, OPTIMIZER_BIN));
  const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, json.optimizer.weightSpecs);
  const missing = json.optimizer.slots.find((s) => !tensors[slotKey(s)]);
  if (missing) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw new Error(`${join(dir, OPTIMIZER_BIN)} lacks the optimiser tensor ${slotKey(missing)}; the checkpoint is damaged.`);
  }
  const slots = json.optimizer.slots.map((s) => ({ ...s, tensor: tensors[slotKey(s)] }));
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileSystemIO(join(dir, MODEL_DIR)));
  } catch (error) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw error;
  }
  return {
    model,
    snapshot: {
      config: json.config,
      normalization: json.normalization,
      position: json.position,
      optimizer: { kind: json.optimizer.kind, iterations: json.optimizer.iterations, slots },
    },
    metadata: json.metadata,
    savedAt: json.savedAt,
  };
}
