import { StudioError } from '../../../common/errors.js';
import { InferenceClient } from '../../training/inferenceClient.js';
import { UsageError, type Command } from '../command.js';
import { printable } from '../printable.js';

export function runIdOption(values: Record<string, unknown>): number {
  const runId = Number(values.run);
  if (values.run === undefined || !Number.isInteger(runId) || runId <= 0) throw new UsageError('--run ID is required (a run id from `train`)');
  return runId;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Evaluate a run's checkpoint on its validation or test split (stores one prediction per image)",
  usage: 'evaluate --workspace DIR --run ID [--split val|test|train] [--json]',
  options: { run: { type: 'string' }, split: { type: 'string' } },
  async run(ctx, values) {
    const workspace = ctx.requireWorkspace();
    const runId = runIdOption(values);
    const split = (values.split ?? 'val') as string;
    if (split !== 'val' && split !== 'test' && split !== 'train') throw new UsageError(`--split: "${split}" is not one of val, test, train`);
    const client = new InferenceClient(workspace, ctx.backend ? { backend: ctx.backend } : {});
    try {
      const evaluation = await client.evaluate(runId, split);
      const result = {
        run: runId,
        split,
        images: evaluation.images,
        accuracy: evaluation.accuracy,
        loss: evaluation.loss,
        classes: evaluation.classNames,
        per_class: Object.fromEntries(evaluation.perClass.map((c) => [c.name, { precision: c.precision, recall: c.recall, f1: c.f1, support: c.support }])),
        confusion_matrix: evaluation.confusionMatrix,
      };
      const names = evaluation.perClass.map((c) => printable(c.name));
      const width = Math.max(...names.map((n) => n.length), 5);
      ctx.print(result, [
        `Run ${runId} on ${split} (${evaluation.images} images): accuracy ${evaluation.accuracy.toFixed(4)}, loss ${evaluation.loss.toFixed(4)}`,
        `${'class'.padEnd(width)}  precision  recall     f1  support`,
        ...evaluation.perClass.map((c, i) => `${names[i]!.padEnd(width)}  ${c.precision.toFixed(3).padStart(9)}  ${c.recall.toFixed(3).padStart(6)}  ${c.f1.toFixed(3).padStart(5)}  ${String(c.support).padStart(7)}`),
      ].join('\n'));
    } catch (error) {
      if (error instanceof StudioError) throw error;
      throw new StudioError('internal', (error as Error).message);
    } finally {
      await client.close();
    }
  },
};
