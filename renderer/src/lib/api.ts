/**
 * The only module that knows how the renderer reaches the main process: Electron's preload bridge
 * (`window.studio`) when present, otherwise the browser-mode WebSocket with the launch token. Both
 * speak the same contract, so the rest of the renderer cannot tell them apart.
 */
import type { StudioBridge } from '../../../electron/common/bridge.js';
import type { EventName, MethodArgs, MethodName, MethodResult, StudioEvents } from '../../../electron/common/contract/index.js';
import type { RpcResponse } from '../../../electron/common/contract/wire.js';
import { StudioError } from '../../../electron/common/errors.js';

declare global {
  interface Window {
    studio?: StudioBridge;
  }
}

type Listener = (event: string, payload: unknown) => void;

function webSocketBridge(): StudioBridge {
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/rpc?token=${encodeURIComponent(token)}`;
  const pending = new Map<number, (response: RpcResponse) => void>();
  const listeners = new Set<Listener>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;

  const failAll = (message: string) => {
    for (const [id, resolve] of pending) resolve({ id, ok: false, error: { code: 'unavailable', message } });
    pending.clear();
  };

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new StudioError('unavailable', 'Cannot reach the studio server (is `attention-studio serve` still running?)'));
      ws.onclose = () => {
        socket = null;
        opened = null;
        failAll('The connection to the studio server was lost');
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as RpcResponse | { event: string; payload: unknown };
        if ('event' in data) {
          for (const listener of listeners) listener(data.event, data.payload);
        } else {
          pending.get(data.id)?.(data);
          pending.delete(data.id);
        }
      };
    });
    return opened;
  };

  return {
    async call(method, args) {
      const ws = socket ?? (await connect());
      const id = nextId++;
      return new Promise<RpcResponse>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, args }));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      void connect().catch(() => undefined);
      return () => listeners.delete(listener);
    },
  };
}

const bridge: StudioBridge = window.studio ?? webSocketBridge();

export const transport: 'electron' | 'browser' = window.studio ? 'electron' : 'browser';

/** Calls a contract method; rejects with a StudioError carrying the contract's error code. */
export async function call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResult<M>> {
  const response = await bridge.call(method, args);
  if (!response.ok) throw StudioError.fromJSON(response.error);
  return response.result as MethodResult<M>;
}

/** Subscribes to one pushed event; returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void): () => void {
  return bridge.onEvent((name, payload) => {
    if (name === event) listener(payload as StudioEvents[E]);
  });
}

/** The system folder picker, in the desktop window only (browser mode types a path instead). */
export const canPickFolder = typeof bridge.pickFolder === 'function';

export async function pickFolder(): Promise<string | null> {
  return bridge.pickFolder ? bridge.pickFolder() : null;
}

/** Where a dropped file or folder lives on disk: known in the desktop window, never to a web page. */
export function droppedPath(file: File): string {
  const fromBridge = bridge.pathForFile?.(file) ?? '';
  // Electron before 32 put the path on the File itself.
  return fromBridge || ((file as File & { path?: string }).path ?? '');
}
