/** What the preload exposes on `window.studio`: the whole contract through two functions. */
import type { RpcResponse } from './contract/wire.js';

export interface StudioBridge {
  /** Calls one contract method; resolves with the envelope (never rejects for contract errors). */
  call(method: string, args: unknown): Promise<RpcResponse>;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
  /**
   * Electron only (the desktop window): the system's folder picker; resolves with the chosen folder's
   * absolute path, or null when the user cancels. Browser mode has no such call: a page types a path.
   */
  pickFolder?(): Promise<string | null>;
  /** Electron only: where a file or folder dropped on the window lives on disk ('' when unknown). */
  pathForFile?(file: File): string;
}
