import path from 'node:path';
import { InferenceClient } from '../../training/inferenceClient.js';
import { UsageError, type Command } from '../command.js';
import { shown } from '../printable.js';
import { runIdOption } from './evaluate.js';

export const exportCommand: Command = {
  name: 'export',
  summary: "Export a run's model as a tfjs folder (model.json, weights.bin, labels.json, preprocessing.json), verified against its validation predictions",
  usage: 'export --workspace DIR --run ID --out FOLDER [--json]',
  options: { run: { type: 'string' }, out: { type: 'string' } },
  async run(ctx, values) {
    const workspace = ctx.requireWorkspace();
    const runId = runIdOption(values);
    if (typeof values.out !== 'string') throw new UsageError('--out FOLDER is required');
    const client = new InferenceClient(workspace, ctx.backend ? { backend: ctx.backend } : {});
    try {
      const report = await client.exportModel(runId, path.resolve(values.out));
      ctx.print(
        { run: runId, ...report },
        shown`Exported run ${runId} to ${report.folder} (${report.files.join(', ')}); it reproduces ${report.verification.samePredictions} of ${report.verification.images} validation predictions (max probability difference ${report.verification.maxProbabilityDifference.toExponential(1)})`,
      );
    } finally {
      await client.close();
    }
  },
};
