/** What the preload exposes on `window.studio`: the whole contract through two functions. */
import type { RpcResponse } from './contract/wire.js';

export interface StudioBridge {
  /** Calls one contract method; resolves with the envelope (never rejects for contract errors). */
  call(method: string, args: unknown): Promise<RpcResponse>;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}
