import { startStudioServer } from '../../server/studio.js';
import { UsageError, type Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Browser mode: serve the studio on 127.0.0.1 with a per-launch token (prints the URL)',
  usage: 'serve [--workspace DIR] [--port N] [--json]',
  options: { port: { type: 'string' } },
  async run(ctx, values) {
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!/^\d{1,5}$/.test(String(values.port ?? 0)) || port > 65535) throw new UsageError(`--port: "${String(values.port)}" is not a port number (0 to 65535)`);
    const server = await startStudioServer({ workspace: ctx.workspace, port, ...(ctx.backend ? { forcedBackend: ctx.backend } : {}) });
    ctx.print({ url: server.url, port: server.port, workspace: ctx.workspace }, `Attention Studio (browser mode) at ${server.url}\nPress Ctrl-C to stop.`);
    await new Promise<void>((resolve) => ctx.interrupted.addEventListener('abort', () => resolve(), { once: true }));
    await server.close();
  },
};
