import { doctorArgs } from '../../../common/contract/app.js';
import { validationError } from '../../rpc/dispatch.js';
import { runDoctor } from '../../services/doctor.js';
import { UsageError, type Command } from '../command.js';

function numberOption(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: "${String(raw)}" is not a number`);
  return n;
}

function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
    return n >= 2 ** 20 ? `${Math.round(n / 2 ** 20)} MiB` : `${Math.round(n / 2 ** 10)} KiB`;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Every backend: whether it loads, its device and limits, measured training and inference speed, which one a run uses, how to enable the rest',
  usage: 'doctor [--model NAME] [--image-size S] [--channels 1|3] [--batch-size B] [--timeout SECONDS] [--backend NAME] [--json]',
  options: {
    model: { type: 'string' },
    'image-size': { type: 'string' },
    channels: { type: 'string' },
    'batch-size': { type: 'string' },
    timeout: { type: 'string' },
  },
  async run(ctx, values) {
    const parsed = doctorArgs.safeParse({
      ...(values.model !== undefined ? { model: values.model } : {}),
      ...(values['image-size'] !== undefined ? { imageSize: numberOption(values, 'image-size') } : {}),
      ...(values.channels !== undefined ? { channels: numberOption(values, 'channels') } : {}),
      ...(values['batch-size'] !== undefined ? { batchSize: numberOption(values, 'batch-size') } : {}),
      ...(values.timeout !== undefined ? { timeoutSeconds: numberOption(values, 'timeout') } : {}),
    });
    if (!parsed.success) throw new UsageError(validationError('doctor', parsed.error.issues).message.replace(/^doctor: /, ''));
    const args = parsed.data;
    ctx.stderr.write(`Measuring each available backend on ${args.model} at ${args.imageSize}x${args.imageSize}x${args.channels}, batch ${args.batchSize}…\n`);
    const report = await runDoctor(ctx.backend ? { forcedBackend: ctx.backend } : {}, {
      ...args,
      onProgress: (backend, done, total) => ctx.stderr.write(`  [${done + 1}/${total}] ${backend}\n`),
    });
    const lines = [
      `${report.platform}/${report.arch}, ${report.cpus} logical CPUs, node ${report.node}${report.electron ? `, electron ${report.electron}` : ''}`,
      `Model ${report.model} at ${report.imageSize}x${report.imageSize}x${report.channels}, batch ${report.batchSize}`,
      '',
    ];
    for (const b of report.backends) {
      lines.push(`${b.name}: ${b.available ? 'available' : 'unavailable'}${b.software ? ' (software adapter)' : ''}`);
      if (b.device) lines.push(`  device: ${b.device}`);
      if (b.limits) lines.push(`  limits: ${Object.entries(b.limits).map(([k, v]) => `${k} ${bytes(v)}`).join(', ')}`);
      if (b.measured) {
        lines.push(`  training ${b.measured.trainImagesPerSecond.toFixed(1)} img/s, inference ${b.measured.inferImagesPerSecond.toFixed(1)} img/s`);
      } else if (b.available) {
        lines.push(`  not measured: ${b.measureError}`);
      }
      lines.push(`  ${b.reason}`);
      if (b.enable) lines.push(`  to enable: ${b.enable}`);
    }
    lines.push('', `A run would train on ${report.selectedBackend ?? 'no backend'}: ${report.selectionReason}`);
    ctx.print(report, lines.join('\n'));
    return report.selectedBackend ? 0 : 1;
  },
};
