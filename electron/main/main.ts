/**
 * The Electron composition root: builds the services, serves the contract over IPC, and opens one
 * locked-down window (context isolation, sandbox, no Node in the renderer, strict CSP, no navigation,
 * no new windows, every IPC sender checked).
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_FOLDER_CHANNEL } from '../common/channels.js';
import { EventHub } from '../node/events.js';
import { packageRoot, rendererDist } from '../node/paths.js';
import { createDispatcher } from '../node/rpc/dispatch.js';
import { createHandlers } from '../node/services/index.js';
import { defaultWorkspace } from '../node/workspace.js';
import { createCallHandler, createPickFolderHandler } from './ipc.js';
import { createWindowOpenHandler, lockDownSession } from './security.js';

const rendererIndex = pathToFileURL(path.join(rendererDist(), 'index.html')).href;

function workspaceFromArgs(): string {
  const index = process.argv.indexOf('--workspace');
  const given = index >= 0 ? process.argv[index + 1] : undefined;
  return given ? path.resolve(given) : defaultWorkspace();
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 840,
    title: 'Attention Studio',
    show: false,
    webPreferences: {
      preload: path.join(packageRoot(), 'dist', 'electron', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererIndex);
  return window;
}

app.on('web-contents-created', (_event, contents) => {
  // Links open in the user's browser, never inside the app, and only once the user said yes.
  contents.setWindowOpenHandler(
    createWindowOpenHandler(
      (options) => {
        const owner = BrowserWindow.fromWebContents(contents);
        return owner ? dialog.showMessageBox(owner, options) : dialog.showMessageBox(options);
      },
      (href) => shell.openExternal(href),
    ),
  );
  contents.on('will-navigate', (event, url) => {
    if (url.split(/[?#]/)[0] !== rendererIndex) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

void app.whenReady().then(() => {
  const events = new EventHub();
  const forced = process.env.ATTENTION_STUDIO_BACKEND;
  const handlers = createHandlers({
    mode: 'electron',
    workspace: workspaceFromArgs(),
    events,
    electronVersion: process.versions.electron,
    ...(forced === 'tensorflow' || forced === 'webgpu' || forced === 'wasm' || forced === 'cpu' ? { forcedBackend: forced } : {}),
  });
  const dispatch = createDispatcher(handlers);

  lockDownSession(session.defaultSession);

  ipcMain.handle(CALL_CHANNEL, createCallHandler(dispatch, rendererIndex));

  let window = createWindow();
  ipcMain.handle(
    PICK_FOLDER_CHANNEL,
    createPickFolderHandler(() => dialog.showOpenDialog(window, { title: 'Import a folder of images', properties: ['openDirectory'] }), rendererIndex),
  );
  events.subscribe((event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, { event, payload });
  });

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
