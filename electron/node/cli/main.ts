/**
 * `attention-studio`: the studio's services from a terminal, for scripting and for machines without a
 * display. Usage: attention-studio <command> [options] [--workspace DIR] [--json]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { StudioError } from '../../common/errors.js';
import { isBackendName, type BackendName } from '../../../ml/engine/backends.js';
import { packageVersion } from '../paths.js';
import { DATABASE_FILE, workspaceDbPath } from '../storage/db.js';
import { UsageError, type CliContext, type CliIo, type Command, type OptionSpec } from './command.js';
import { commands } from './commands/index.js';
import { printable } from './printable.js';

const globalOptions: OptionSpec = {
  workspace: { type: 'string', short: 'w' },
  json: { type: 'boolean' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `attention-studio ${packageVersion()}: label image folders, train a Residual Attention Network, find its mistakes.`,
    '',
    'Usage: attention-studio <command> [options] [--workspace DIR] [--json] [--backend NAME]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command accepts --workspace DIR (a studio project folder) and --json (machine-readable output).',
    'Run `attention-studio <command> --help` for its options.',
  ].join('\n');
}

function forcedBackend(value: unknown): BackendName | undefined {
  const raw = typeof value === 'string' ? value : process.env.ATTENTION_STUDIO_BACKEND;
  if (raw === undefined || raw === '') return undefined;
  if (!isBackendName(raw)) throw new UsageError(`--backend: "${raw}" is not one of tensorflow, webgpu, wasm, cpu`);
  return raw;
}

/** Runs one command line; returns the exit code. Exported for tests. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  // Messages quote paths and arguments: one line each, whatever those hold.
  const writeErr = (line: string) => io.stderr.write(`${printable(line)}\n`);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    writeErr(`attention-studio: unknown command "${name}" (run attention-studio --help)`);
    return 2;
  }

  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    writeErr('attention-studio: interrupted, stopping (press Ctrl-C again to quit at once)');
  };
  const onSigterm = () => abort.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...globalOptions, ...command.options }, allowPositionals: true, strict: true });
    } catch (error) {
      // parseArgs appends a paragraph of advice; the first sentence names the problem.
      throw new UsageError((error as Error).message.split('\n')[0]!.split('. To specify')[0]!);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(`Usage: attention-studio ${command.usage}\n\n${command.summary}\n`);
      return 0;
    }
    const json = values.json === true;
    const workspace = typeof values.workspace === 'string' ? path.resolve(values.workspace) : null;
    const backend = forcedBackend(values.backend);
    const ctx: CliContext = {
      ...io,
      workspace,
      json,
      ...(backend ? { backend } : {}),
      interrupted: abort.signal,
      print(result, human) {
        io.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human}\n`);
      },
      requireWorkspace(options = {}) {
        if (!workspace) throw new UsageError('--workspace DIR is required for this command');
        if (!options.create && !existsSync(workspaceDbPath(workspace))) {
          throw new StudioError(
            'not_found',
            `--workspace: ${workspace} is not a studio workspace (it has no ${DATABASE_FILE}); \`attention-studio import FOLDER --workspace DIR\` creates one`,
            { field: 'workspace' },
          );
        }
        return workspace;
      },
    };
    return (await command.run(ctx, values, positionals)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      writeErr(`attention-studio ${command.name}: ${error.message} (usage: attention-studio ${command.usage})`);
      return 2;
    }
    if (error instanceof StudioError) {
      writeErr(`attention-studio ${command.name}: ${error.message}`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    writeErr(`attention-studio ${command.name}: unexpected error: ${message.split('\n')[0]}`);
    if (process.env.ATTENTION_STUDIO_DEBUG) console.error(error);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

/** The process entry: runs the command line, then exits with its code (tfjs may hold handles open). */
export async function cliEntry(): Promise<void> {
  const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, isTTY: process.stderr.isTTY === true });
  // Let stdout drain before exiting: a piped `--json` consumer must get the whole document.
  process.stdout.write('', () => process.exit(code));
}
