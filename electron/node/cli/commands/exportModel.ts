import path from 'node:path';
import { modelExportFormats, type ModelExportFormat } from '../../../common/contract/runs.js';
import { InferenceClient } from '../../training/inferenceClient.js';
import { UsageError, type Command } from '../command.js';
import { shown } from '../printable.js';
import { runIdOption } from './evaluate.js';

export const exportCommand: Command = {
  name: 'export',
  summary:
    "Export a run's model as TensorFlow.js (model.json, weights.bin) and/or ONNX (model.onnx), with labels.json, preprocessing.json and a README; each format is loaded by its stock runtime and must reproduce the run's validation predictions before the folder is written",
  usage: 'export --workspace DIR --run ID --out FOLDER [--format tfjs|onnx|both] [--json]',
  options: { run: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' } },
  async run(ctx, values) {
    const workspace = ctx.requireWorkspace();
    const runId = runIdOption(values);
    if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out FOLDER is required');
    const format = (values.format ?? 'both') as ModelExportFormat;
    if (!modelExportFormats.includes(format)) throw new UsageError(`--format: "${String(values.format)}" is not one of ${modelExportFormats.join(', ')}`);
    const client = new InferenceClient(workspace, ctx.backend ? { backend: ctx.backend } : {});
    try {
      const report = await client.exportModel(runId, path.resolve(values.out), format);
      ctx.print(report, [
        shown`Exported run ${runId} to ${report.folder}: ${report.files.join(', ')}`,
        ...report.checks.map(
          (check) =>
            shown`${check.format === 'tfjs' ? 'model.json' : 'model.onnx'} in ${check.runtime}: ${String(check.samePredictions)} of ${String(check.images)} ${report.split} predictions equal, probabilities within ${check.maxProbabilityDifference.toExponential(1)}`,
        ),
      ].join('\n'));
    } finally {
      await client.close();
    }
  },
};
