/**
 * The desktop shell, given Electron's main-process API rather than importing it (main.ts passes the
 * real one), so that tests drive it with a stand-in: the services served over IPC, one locked-down
 * window (context isolation, sandbox, no Node in the page, strict CSP, no navigation, no new windows,
 * every IPC sender checked), and the app's lifecycle.
 */
import type { app, BrowserWindow, BrowserWindowConstructorOptions, dialog, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_FOLDER_CHANNEL } from '../common/channels.js';
import { backendNames, type BackendName } from '../common/contract/app.js';
import { EventHub } from '../node/events.js';
import { packageRoot, rendererDist } from '../node/paths.js';
import { createDispatcher } from '../node/rpc/dispatch.js';
import { createHandlers, RunServices } from '../node/services/index.js';
import { stopAllMlWorkers } from '../node/training/workerHost.js';
import { defaultWorkspace } from '../node/workspace.js';
import { createCallHandler, createPickFolderHandler } from './ipc.js';
import { guardWebContents, lockDownSession } from './security.js';

/** The parts of Electron the shell uses. */
export interface DesktopElectron {
  app: typeof app;
  BrowserWindow: typeof BrowserWindow;
  dialog: typeof dialog;
  ipcMain: typeof ipcMain;
  session: typeof session;
  shell: typeof shell;
}

export interface DesktopProcess {
  argv: string[];
  env: Record<string, string | undefined>;
  platform: string;
  electronVersion?: string;
}

/** The studio's page, as the window loads it and as every sender and navigation is checked against. */
export function rendererIndexUrl(): string {
  return pathToFileURL(path.join(rendererDist(), 'index.html')).href;
}

/** The workspace given with `--workspace DIR`, or the per-user default. */
export function workspaceFromArgs(argv: string[]): string {
  const index = argv.indexOf('--workspace');
  const given = index >= 0 ? argv[index + 1] : undefined;
  return given ? path.resolve(given) : defaultWorkspace();
}

/** The window: the page runs sandboxed and isolated, with nothing but the preload's bridge. */
export function studioWindowOptions(): BrowserWindowConstructorOptions {
  return {
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
  };
}

const isBackendName = (name: string | undefined): name is BackendName => (backendNames as readonly (string | undefined)[]).includes(name);

/** Starts the shell; resolves once the app is ready and the first window is open. */
export async function startDesktop(electron: DesktopElectron, proc: DesktopProcess): Promise<void> {
  const { app, BrowserWindow, dialog, ipcMain, session, shell } = electron;
  const rendererIndex = rendererIndexUrl();

  app.on('web-contents-created', (_event, contents) => {
    // Links open in the user's browser, never inside the app, and only once the user said yes.
    guardWebContents(
      contents,
      rendererIndex,
      (options) => {
        const owner = BrowserWindow.fromWebContents(contents);
        return owner ? dialog.showMessageBox(owner, options) : dialog.showMessageBox(options);
      },
      (href) => shell.openExternal(href),
    );
  });

  app.on('window-all-closed', () => {
    if (proc.platform !== 'darwin') app.quit();
  });

  await app.whenReady();
  const events = new EventHub();
  const forced = proc.env.ATTENTION_STUDIO_BACKEND;
  const ctx = {
    mode: 'electron' as const,
    workspace: workspaceFromArgs(proc.argv),
    events,
    ...(proc.electronVersion ? { electronVersion: proc.electronVersion } : {}),
    ...(isBackendName(forced) ? { forcedBackend: forced } : {}),
  };
  const runs = new RunServices(ctx);
  const handlers = createHandlers(ctx, runs);
  // Before quitting: runs and jobs are left resumable and every ML worker leaves between two kernels
  // (a worker cut off inside a WebGPU call would crash the app on its way out).
  let settled = false;
  app.on('will-quit', (event) => {
    if (settled) return;
    event.preventDefault();
    void Promise.allSettled([runs.close(), stopAllMlWorkers()]).finally(() => {
      settled = true;
      app.quit();
    });
  });

  lockDownSession(session.defaultSession);
  ipcMain.handle(CALL_CHANNEL, createCallHandler(createDispatcher(handlers), rendererIndex));

  const createWindow = () => {
    const window = new BrowserWindow(studioWindowOptions());
    window.once('ready-to-show', () => window.show());
    void window.loadURL(rendererIndex);
    return window;
  };
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
}
