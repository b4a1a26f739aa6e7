/**
 * The CLI's building block. Each subcommand is one file in `commands/` exporting a `Command`, listed
 * once in `commands/index.ts`. Every command gets `--workspace DIR` and `--json` for free; `--json`
 * means machine-readable output on stdout and nothing else there.
 */
import type { ParseArgsConfig } from 'node:util';
import type { BackendName } from '../../../ml/engine/backends.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bars only then). */
  isTTY: boolean;
}

export interface CliContext extends CliIo {
  /** Absolute path of `--workspace`, or null when not given. */
  workspace: string | null;
  json: boolean;
  /** `--backend NAME` or ATTENTION_STUDIO_BACKEND. */
  backend?: BackendName;
  /** Writes the result: one JSON document with `--json`, the human text otherwise. */
  print(result: unknown, human: string): void;
  /**
   * The workspace, or a usage error naming `--workspace` when the command needs one. Unless `create`,
   * it must already be a studio workspace: a mistyped path is refused, never created.
   */
  requireWorkspace(options?: { create?: boolean }): string;
  /** Resolves when the user presses Ctrl-C (SIGINT); commands use it to cancel jobs cleanly. */
  interrupted: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  /** e.g. `import FOLDER [--csv FILE]` */
  usage: string;
  options?: OptionSpec;
  /** Returns the exit code (0 when omitted). Throw StudioError for user errors: the CLI prints one line. */
  run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number | void>;
}

/** Thrown for bad command lines; printed with the usage line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
