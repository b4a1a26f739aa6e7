/**
 * The Electron transport of the contract, without importing Electron at run time (types only), so it
 * is unit-tested in plain Node. Only our own renderer page, in the top frame, may call.
 */
import type { IpcMainInvokeEvent } from 'electron';
import type { RpcResponse } from '../common/contract/wire.js';
import { respond, type Dispatch } from '../node/rpc/dispatch.js';
import { isStudioPage } from './security.js';

type SenderFrame = Pick<NonNullable<IpcMainInvokeEvent['senderFrame']>, 'url' | 'parent'>;

export function isTrustedFrame(frame: SenderFrame | null | undefined, rendererIndex: string): boolean {
  return frame != null && frame.parent === null && isStudioPage(frame.url, rendererIndex);
}

export function createCallHandler(dispatch: Dispatch, rendererIndex: string) {
  return async (event: { senderFrame: SenderFrame | null }, request: unknown): Promise<RpcResponse> => {
    const envelope = typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
    const id = typeof envelope.id === 'number' ? envelope.id : -1;
    if (!isTrustedFrame(event.senderFrame, rendererIndex)) {
      return { id, ok: false, error: { code: 'invalid_argument', message: 'Call refused: it did not come from the studio window', field: '(sender)' } };
    }
    return respond(dispatch, id, envelope.method, envelope.args);
  };
}

/** What `dialog.showOpenDialog` resolves with (the parts used). */
export interface OpenDialogResult {
  canceled: boolean;
  filePaths: string[];
}

/**
 * The native folder picker behind `window.studio.pickFolder()`: only the studio's own top frame may
 * open it; resolves with the chosen folder or null (cancelled or refused).
 */
export function createPickFolderHandler(showDialog: () => Promise<OpenDialogResult>, rendererIndex: string) {
  return async (event: { senderFrame: SenderFrame | null }): Promise<string | null> => {
    if (!isTrustedFrame(event.senderFrame, rendererIndex)) return null;
    const result = await showDialog();
    return result.canceled ? null : (result.filePaths[0] ?? null);
  };
}
