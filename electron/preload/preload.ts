/**
 * The sandboxed preload: the renderer gets `window.studio` with `call` and `onEvent`, plus the folder
 * picker and the path of a dropped file. No Node or Electron object crosses the bridge, so a compromised
 * page can only speak the contract (and open a dialog only the user can answer).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_FOLDER_CHANNEL } from '../common/channels.js';
import type { StudioBridge } from '../common/bridge.js';
import type { RpcResponse } from '../common/contract/wire.js';

let nextId = 1;

const bridge: StudioBridge = {
  call: (method, args) => ipcRenderer.invoke(CALL_CHANNEL, { id: nextId++, method, args }) as Promise<RpcResponse>,
  onEvent: (listener) => {
    const handler = (_event: IpcRendererEvent, message: { event: string; payload: unknown }) => listener(message.event, message.payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
  pickFolder: () => ipcRenderer.invoke(PICK_FOLDER_CHANNEL) as Promise<string | null>,
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('studio', bridge);
