import type { z } from 'zod';

/**
 * One contract method: a schema for its arguments (checked on arrival in the main process, whatever the
 * transport) and the type of its result (trusted: it is produced by our own code).
 */
export interface MethodSpec<A extends z.ZodType, R> {
  readonly args: A;
  /** Phantom field carrying the result type; never set at run time. */
  readonly result?: R;
  /** One line for documentation and `info`. */
  readonly summary: string;
}

/** `method<Result>()(schema, summary)`: the result type is written once, here, and derived everywhere else. */
export function method<R>() {
  return <A extends z.ZodType>(args: A, summary: string): MethodSpec<A, R> => ({ args, summary });
}
