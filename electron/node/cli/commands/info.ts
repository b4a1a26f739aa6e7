import { appInfo } from '../../services/app.js';
import { EventHub } from '../../events.js';
import type { Command } from '../command.js';

export const infoCommand: Command = {
  name: 'info',
  summary: 'Versions, platform, and which tfjs backends load here (and which one training would use, and why)',
  usage: 'info [--backend NAME] [--json]',
  async run(ctx) {
    const info = await appInfo({ mode: 'cli', workspace: ctx.workspace, events: new EventHub(), ...(ctx.backend ? { forcedBackend: ctx.backend } : {}) });
    const lines = [
      `${info.name} ${info.version}`,
      `node ${info.node} on ${info.platform}/${info.arch}, ${info.cpus} logical CPUs${info.electron ? `, electron ${info.electron}` : ''}`,
      '',
      'Backends:',
      ...info.backends.flatMap((b) => [
        `  ${b.available ? 'yes' : 'no '} ${b.name.padEnd(10)} ${b.reason}`,
        ...(b.device && b.available ? [`      device: ${b.device}`] : []),
        ...(b.enable ? [`      to enable: ${b.enable}`] : []),
      ]),
      '',
      `Training would use: ${info.selectedBackend ?? 'none'} (${info.selectionReason})`,
      'Run `attention-studio doctor` to measure each backend on a model.',
    ];
    ctx.print(info, lines.join('\n'));
    return info.selectedBackend ? 0 : 1;
  },
};
