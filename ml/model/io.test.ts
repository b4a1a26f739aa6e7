import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildModel } from './index.js';
import { fileSystemIO } from './io.js';
import { predictArray, randomImages, useCpuBackend } from './testing.js';

beforeAll(useCpuBackend);

describe('fileSystemIO', () => {
  let parent: string;
  let checkpoint: string;
  let image: tf.Tensor4D;
  const models: tf.LayersModel[] = [];
  const build = (): tf.LayersModel => {
    const model = buildModel('lite-16', { inputShape: [8, 8, 1], numClasses: 3 });
    models.push(model);
    return model;
  };
  const load = async (dir = checkpoint): Promise<tf.LayersModel> => {
    const model = await tf.loadLayersModel(fileSystemIO(dir));
    models.push(model);
    return model;
  };

  beforeAll(() => {
    image = randomImages([2, 8, 8, 1]);
  });
  afterAll(() => image.dispose());
  beforeEach(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'ran-io-'));
    checkpoint = path.join(parent, 'run-1', 'latest');
  });
  afterEach(async () => {
    models.splice(0).forEach((model) => model.dispose());
    await rm(parent, { recursive: true, force: true });
  });

  it('writes model.json and weights.bin and loads a model that predicts identically', async () => {
    const model = build();
    await model.save(fileSystemIO(checkpoint));
    expect((await readdir(checkpoint)).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await load();
    expect(predictArray(loaded, image)).toEqual(predictArray(model, image));
  });

  it('replaces an existing checkpoint and leaves no temporary folders behind', async () => {
    await build().save(fileSystemIO(checkpoint));
    const newer = build();
    await newer.save(fileSystemIO(checkpoint));
    expect(await readdir(path.dirname(checkpoint))).toEqual(['latest']);
    expect(predictArray(await load(), image)).toEqual(predictArray(newer, image));
  });

  it('recovers the previous checkpoint when a save died between its two renames', async () => {
    const model = build();
    await model.save(fileSystemIO(checkpoint));
    await rename(checkpoint, path.join(path.dirname(checkpoint), '.latest.replaced-123-1-abcd'));
    expect(predictArray(await load(), image)).toEqual(predictArray(model, image));
  });

  it('says what is missing when there is no checkpoint', async () => {
    await expect(load(path.join(parent, 'nowhere'))).rejects.toThrow(/No saved model at .*nowhere: model\.json is missing/);
  });

  it('refuses truncated weights instead of loading garbage', async () => {
    await build().save(fileSystemIO(checkpoint));
    await truncate(path.join(checkpoint, 'weights.bin'), 1000);
    await expect(load()).rejects.toThrow(/damaged: its weights are 1000 bytes/);
  });

  it('refuses an unreadable model.json', async () => {
    await build().save(fileSystemIO(checkpoint));
    await writeFile(path.join(checkpoint, 'model.json'), '{"modelTopology": ');
    await expect(load()).rejects.toThrow(/unreadable/);
  });

  it('refuses weight paths that leave the checkpoint folder', async () => {
    await build().save(fileSystemIO(checkpoint));
    const json = JSON.parse(await readFile(path.join(checkpoint, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../secret.bin'];
    await writeFile(path.join(checkpoint, 'model.json'), JSON.stringify(json));
    await expect(load()).rejects.toThrow(/outside its folder/);
  });
});
