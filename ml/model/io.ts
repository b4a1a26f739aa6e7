/**
 * A tfjs IOHandler that keeps a model as `model.json` + `weights.bin` in a directory, for Node.
 * tfjs-node's `file://` handler is unavailable here (its install downloads libtensorflow; see
 * ENVIRONMENT.md), and checkpoints need a write that never leaves a half-written model behind.
 *
 * Saving writes both files into a temporary sibling directory, flushes them, and renames it into
 * place. A directory cannot be renamed over a non-empty one, so an existing checkpoint is first moved
 * aside and deleted afterwards; if the process dies between those two renames, `load` finds the
 * moved-aside copy. Kept out of the `ml/model` barrel because it needs `node:fs`.
 *
 *   await model.save(fileSystemIO('/path/to/checkpoint'));
 *   const loaded = await tf.loadLayersModel(fileSystemIO('/path/to/checkpoint'));
 */
import * as tf from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export function fileSystemIO(directory: string): tf.io.IOHandler {
  const target = path.resolve(directory);
  return {
    save: (artifacts) => saveToDirectory(target, artifacts),
    load: () => loadFromDirectory(target),
  };
}

async function saveToDirectory(target: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology == null || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('fileSystemIO saves whole layers models (a JSON topology plus weights); this save has no JSON topology');
  }
  const weights = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;

  const parent = path.dirname(target);
  const base = path.basename(target);
  await mkdir(parent, { recursive: true });
  const temporary = path.join(parent, `.${base}.saving-${uniqueSuffix()}`);
  try {
    await mkdir(temporary);
    await writeDurably(path.join(temporary, MODEL_FILE), JSON.stringify(modelJson));
    await writeDurably(path.join(temporary, WEIGHTS_FILE), new Uint8Array(weights));
    await syncDirectory(temporary);
    await replaceDirectory(temporary, target);
    await syncDirectory(parent);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw new Error(`Could not save the model to ${target}: ${messageOf(error)} (check free disk space and write permission)`, { cause: error });
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/** Moves `replacement` to `target`, keeping the old `target` aside until the new one is in place. */
async function replaceDirectory(replacement: string, target: string): Promise<void> {
  const aside = path.join(path.dirname(target), `.${path.basename(target)}.replaced-${uniqueSuffix()}`);
  const hadOld = await exists(target);
  if (hadOld) await rename(target, aside);
  try {
    await rename(replacement, target);
  } catch (error) {
    if (hadOld) await rename(aside, target);
    throw error;
  }
  if (hadOld) await rm(aside, { recursive: true, force: true });
}

async function loadFromDirectory(target: string): Promise<tf.io.ModelArtifacts> {
  const directory = (await exists(path.join(target, MODEL_FILE))) ? target : await findMovedAside(target);
  if (directory == null) {
    throw new Error(`No saved model at ${target}: ${MODEL_FILE} is missing. Choose the folder a model was saved to.`);
  }
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await readFile(path.join(directory, MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
  } catch (error) {
    throw new Error(`The saved model at ${directory} is unreadable (${messageOf(error)}); save it again or pick another checkpoint.`, { cause: error });
  }
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs = tf.io.getWeightSpecs(manifest);
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const file of group.paths) {
        const resolved = path.resolve(directory, file);
        if (path.dirname(resolved) !== directory) {
          throw new Error(`The saved model at ${directory} names a weights file outside its folder: ${file}`);
        }
        const bytes = await readFile(resolved);
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      }
    }
    const data = tf.io.CompositeArrayBuffer.join(buffers);
    const expected = specs.reduce((sum, spec) => sum + byteLength(spec), 0);
    if (data.byteLength !== expected) {
      throw new Error(`The saved model at ${directory} is damaged: its weights are ${data.byteLength} bytes, the model needs ${expected}. Save it again or pick another checkpoint.`);
    }
    return [specs, data];
  });
}

/** The newest copy moved aside by an interrupted `replaceDirectory`, if any. */
async function findMovedAside(target: string): Promise<string | null> {
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}.replaced-`;
  const names = await readdir(parent).catch(() => [] as string[]);
  const candidates: { dir: string; time: number }[] = [];
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const dir = path.join(parent, name);
    if (await exists(path.join(dir, MODEL_FILE))) candidates.push({ dir, time: (await stat(dir)).mtimeMs });
  }
  candidates.sort((a, b) => b.time - a.time);
  return candidates[0]?.dir ?? null;
}

function byteLength(spec: tf.io.WeightsManifestEntry): number {
  const elements = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization != null) {
    const bytesPer = { uint8: 1, uint16: 2, float16: 2 }[spec.quantization.dtype];
    return elements * bytesPer;
  }
  if (spec.dtype === 'string') throw new Error(`fileSystemIO does not load string weights (${spec.name})`);
  return elements * (spec.dtype === 'bool' ? 1 : 4);
}

async function writeDurably(file: string, contents: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory entry so a rename survives a power cut; not supported on Windows, where it is skipped. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open or fsync a directory; NTFS journals the rename itself.
  } finally {
    await handle?.close();
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function uniqueSuffix(): string {
  return `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
