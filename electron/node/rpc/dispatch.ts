/**
 * Turns an untrusted (method, args) pair from any transport into a validated call of a service
 * handler, and any failure into a typed error. Nothing a client sends can crash the process.
 */
import type { z } from 'zod';
import { StudioError, type SerializedError } from '../../common/errors.js';
import { isMethodName, methods, type MethodName, type MethodResult, type ParsedArgs } from '../../common/contract/index.js';
import type { RpcResponse } from '../../common/contract/wire.js';

export type Handlers = {
  [M in MethodName]: (args: ParsedArgs<M>) => Promise<MethodResult<M>> | MethodResult<M>;
};

export type Dispatch = (method: unknown, args: unknown) => Promise<unknown>;

/** The first schema issue, as a message naming the field. */
export function validationError(methodName: string, issues: z.core.$ZodIssue[]): StudioError {
  const issue = issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(arguments)';
  const detail = issue ? issue.message : 'invalid arguments';
  return new StudioError('invalid_argument', `${methodName}: ${field}: ${detail}`, { field });
}

export function createDispatcher(handlers: Handlers): Dispatch {
  return async (methodName, rawArgs) => {
    if (!isMethodName(methodName)) {
      const shown = typeof methodName === 'string' ? methodName.slice(0, 80) : typeof methodName;
      throw new StudioError('unknown_method', `Unknown method "${shown}"`);
    }
    const spec = methods[methodName];
    const parsed = spec.args.safeParse(rawArgs === undefined ? {} : rawArgs);
    if (!parsed.success) throw validationError(methodName, parsed.error.issues);
    const handler = handlers[methodName] as (args: unknown) => unknown;
    return await handler(parsed.data);
  };
}

/** Any thrown value as a contract error; unexpected ones become `internal` with their message. */
export function toSerializedError(error: unknown): SerializedError {
  if (error instanceof StudioError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: message || 'Internal error' };
}

export async function respond(dispatch: Dispatch, id: number, method: unknown, args: unknown): Promise<RpcResponse> {
  try {
    return { id, ok: true, result: await dispatch(method, args) };
  } catch (error) {
    return { id, ok: false, error: toSerializedError(error) };
  }
}
