/**
 * Errors that cross the contract. Every failure a caller can cause or meet is one of these codes, so
 * the renderer and the CLI can tell "you sent a bad argument" from "the file is corrupt" from "bug".
 */
export const errorCodes = [
  'invalid_argument', // a field failed validation; `field` names it
  'unknown_method', // no such method in the contract
  'not_found', // a workspace, image, run... does not exist
  'conflict', // the request clashes with current state (a run already going, a locked split)
  'unavailable', // a capability this machine lacks (no Electron binary, no GPU backend)
  'cancelled', // the user stopped the job
  'io_error', // the file system refused (permissions, full disk, missing folder)
  'internal', // a bug: the message is for a bug report
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface SerializedError {
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending argument field, for `invalid_argument`. */
  field?: string;
}

export class StudioError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StudioError';
    this.code = code;
    if (options?.field !== undefined) this.field = options.field;
  }

  toJSON(): SerializedError {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }

  static fromJSON(error: SerializedError): StudioError {
    return new StudioError(error.code, error.message, error.field === undefined ? undefined : { field: error.field });
  }
}

export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === 'string' && (errorCodes as readonly unknown[]).includes(v.code);
}
