import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InferenceClient } from '../../training/inferenceClient.js';
import { UsageError, type Command } from '../command.js';
import { shown } from '../printable.js';
import { runIdOption } from './evaluate.js';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|bmp|tiff?)$/i;

/** Files as given; folders expand to the image files inside them (recursively, sorted). */
async function expand(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const full = path.resolve(input);
    const stat = await fs.stat(full).catch(() => null);
    if (stat?.isDirectory()) {
      const entries = await fs.readdir(full, { recursive: true });
      files.push(...entries.filter((e) => IMAGE_EXTENSIONS.test(e)).sort().map((e) => path.join(full, e)));
    } else {
      files.push(full); // a missing file is reported per file by the worker
    }
  }
  return files;
}

export const predictCommand: Command = {
  name: 'predict',
  summary: "Predict the class of image files (or folders of them) with a run's checkpoint",
  usage: 'predict --workspace DIR --run ID FILE_OR_FOLDER... [--json]',
  options: { run: { type: 'string' } },
  async run(ctx, values, positionals) {
    const workspace = ctx.requireWorkspace();
    const runId = runIdOption(values);
    if (positionals.length === 0) throw new UsageError('give at least one image file or folder');
    const files = await expand(positionals);
    const client = new InferenceClient(workspace, ctx.backend ? { backend: ctx.backend } : {});
    try {
      const predictions = await client.predictFiles(runId, files);
      ctx.print(
        { run: runId, predictions },
        predictions.map((p) => (p.error ? shown`${p.file}: error: ${p.error}` : shown`${p.file}: ${p.predicted} (${(p.confidence! * 100).toFixed(1)} %)`)).join('\n'),
      );
      return predictions.some((p) => p.error) ? 1 : 0;
    } finally {
      await client.close();
    }
  },
};
