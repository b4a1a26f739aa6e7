/** The envelope both transports use: one request, one response with the same id, and pushed events. */
import type { SerializedError } from '../errors.js';

export interface RpcRequest {
  id: number;
  method: string;
  args: unknown;
}

export type RpcResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };

export interface RpcEvent {
  event: string;
  payload: unknown;
}
