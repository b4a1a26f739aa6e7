/**
 * The desktop shell started against a stand-in of Electron's main-process API (Electron's binary is
 * not needed, nor loadable in plain Node): what it registers, the window it opens, and how it guards it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_CHANNEL, CHANNEL_PREFIX, EVENT_CHANNEL, PICK_FOLDER_CHANNEL } from '../common/channels.js';
import { packageRoot, rendererDist } from '../node/paths.js';
import { startDesktop, workspaceFromArgs, type DesktopElectron } from './desktop.js';

type Listener = (...args: never[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener) {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]) {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => unknown)(...args);
  }
}

class FakeContents extends Emitter {
  readonly sent: [string, unknown][] = [];
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler;
  }
  send(channel: string, message: unknown) {
    this.sent.push([channel, message]);
  }
}

/** A stand-in of the Electron main-process API, recording what the shell does with it. */
function fakeElectron() {
  const app = Object.assign(new Emitter(), { quits: 0, whenReady: async () => {}, quit: () => void app.quits++ });
  const windows: FakeWindow[] = [];
  class FakeWindow extends Emitter {
    readonly webContents = new FakeContents();
    readonly loaded: string[] = [];
    destroyed = false;
    shown = false;
    constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
      super();
      windows.push(this);
      app.emit('web-contents-created', {}, this.webContents); // as Electron does for every new page
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    show() {
      this.shown = true;
    }
    isDestroyed() {
      return this.destroyed;
    }
    static fromWebContents(contents: FakeContents) {
      return windows.find((w) => w.webContents === contents) ?? null;
    }
    static getAllWindows() {
      return windows.filter((w) => !w.destroyed);
    }
  }
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const sessionHandlers: Record<string, Listener> = {};
  const dialogs: string[] = [];
  const opened: string[] = [];
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: { handle: (channel: string, handler: (...args: unknown[]) => unknown) => void handlers.set(channel, handler) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: Listener) => void (sessionHandlers.request = handler),
        setPermissionCheckHandler: (handler: Listener) => void (sessionHandlers.check = handler),
        webRequest: { onHeadersReceived: (handler: Listener) => void (sessionHandlers.headers = handler) },
      },
    },
    dialog: {
      showOpenDialog: async () => (dialogs.push('open'), { canceled: false, filePaths: ['/data/flowers'] }),
      showMessageBox: async () => (dialogs.push('message'), { response: 1 }),
    },
    shell: { openExternal: async (href: string) => void opened.push(href) },
  };
  return { electron: electron as unknown as DesktopElectron, app, windows, handlers, sessionHandlers, dialogs, opened };
}

const workspace = mkdtempSync(path.join(os.tmpdir(), 'desktop-shell-'));
const savedHome = process.env.ATTENTION_STUDIO_HOME;
// The recent-workspace list and other per-user files go to the test's folder.
beforeAll(() => void (process.env.ATTENTION_STUDIO_HOME = path.join(workspace, '.home')));
afterAll(() => {
  if (savedHome === undefined) delete process.env.ATTENTION_STUDIO_HOME;
  else process.env.ATTENTION_STUDIO_HOME = savedHome;
  rmSync(workspace, { recursive: true, force: true });
});

async function started(platform = 'linux') {
  const fake = fakeElectron();
  await startDesktop(fake.electron, { argv: ['electron', '.', '--workspace', workspace], env: {}, platform, electronVersion: '39.5.0' });
  return fake;
}

const index = pathToFileURL(path.join(rendererDist(), 'index.html')).href;
const studioFrame = { senderFrame: { url: `${index}#/dataset`, parent: null } };
const otherFrame = { senderFrame: { url: 'https://example.com/', parent: null } };

describe('the desktop shell', () => {
  it('opens one sandboxed, isolated window with the bundled preload and no Node, on the studio page', async () => {
    const { windows } = await started();
    expect(windows).toHaveLength(1);
    const [window] = windows;
    expect(window!.options.webPreferences).toEqual({
      preload: path.join(packageRoot(), 'dist', 'electron', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    });
    expect(window!.loaded).toEqual([index]);
    expect(window!.shown).toBe(false);
    window!.emit('ready-to-show');
    expect(window!.shown).toBe(true);
  });

  it('registers only the studio channels, each answering the studio page and refusing any other frame', async () => {
    const { handlers, dialogs } = await started();
    expect([...handlers.keys()].sort()).toEqual([CALL_CHANNEL, PICK_FOLDER_CHANNEL].sort());
    expect([...handlers.keys()].every((channel) => channel.startsWith(CHANNEL_PREFIX))).toBe(true);
    const call = handlers.get(CALL_CHANNEL)!;
    expect(await call(studioFrame, { id: 1, method: 'info', args: { probeBackends: false } })).toMatchObject({ id: 1, ok: true, result: { mode: 'electron', electron: '39.5.0', workspace } });
    expect(await call(otherFrame, { id: 2, method: 'info', args: {} })).toMatchObject({ ok: false, error: { field: '(sender)' } });
    const pick = handlers.get(PICK_FOLDER_CHANNEL)!;
    expect(await pick(otherFrame)).toBeNull();
    expect(dialogs).toEqual([]);
    expect(await pick(studioFrame)).toBe('/data/flowers');
    expect(dialogs).toEqual(['open']);
  });

  it('locks the default session: no permission granted, and the CSP without WebSockets on every response', async () => {
    const { sessionHandlers } = await started();
    let granted: boolean | null = null;
    (sessionHandlers.request as (c: unknown, p: string, cb: (g: boolean) => void) => void)({}, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
    let headers: Record<string, string[]> = {};
    (sessionHandlers.headers as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']![0]).toMatch(/script-src 'self'/);
    expect(headers['Content-Security-Policy']![0]).not.toMatch(/ws:/);
  });

  it("guards every page: navigation only within the studio's page, no webviews, no windows; a confirmed https link opens outside", async () => {
    const { windows, dialogs, opened } = await started();
    const contents = windows[0]!.webContents;
    const navigate = (url: string) => {
      let refused = false;
      contents.emit('will-navigate', { preventDefault: () => (refused = true) }, url);
      return refused;
    };
    expect(navigate(`${index}#/runs`)).toBe(false);
    expect(navigate('https://example.com/')).toBe(true);
    let webviewRefused = false;
    contents.emit('will-attach-webview', { preventDefault: () => (webviewRefused = true) });
    expect(webviewRefused).toBe(true);
    expect(contents.openHandler!({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(dialogs).toEqual(['message']);
    expect(opened).toEqual(['https://example.com/docs']);
  });

  it('sends studio events to the window over the event channel, and none to a destroyed window', async () => {
    const { handlers, windows } = await started();
    const call = handlers.get(CALL_CHANNEL)!;
    // Opening a workspace announces it to the window.
    const other = mkdtempSync(path.join(os.tmpdir(), 'desktop-shell-open-'));
    try {
      expect(await call(studioFrame, { id: 3, method: 'openWorkspace', args: { path: other } })).toMatchObject({ ok: true });
      const sent = windows[0]!.webContents.sent;
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every(([channel]) => channel === EVENT_CHANNEL)).toBe(true);
      windows[0]!.destroyed = true;
      const before = sent.length;
      await call(studioFrame, { id: 4, method: 'openWorkspace', args: { path: workspace } });
      expect(sent.length).toBe(before);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it.each([
    ['linux', 1],
    ['win32', 1],
    ['darwin', 0],
  ])('on %s, closing the last window quits %i time(s); activating with no window opens one', async (platform, quits) => {
    const { app, windows } = await started(platform);
    windows[0]!.destroyed = true;
    app.emit('window-all-closed');
    expect(app.quits).toBe(quits);
    app.emit('activate');
    expect(windows.filter((w) => !w.destroyed)).toHaveLength(1);
  });

  it('holds the first quit until runs and ML workers are stopped, then quits; the second quit goes through', async () => {
    const { app } = await started('linux');
    let prevented = 0;
    app.emit('will-quit', { preventDefault: () => void prevented++ });
    expect(prevented).toBe(1);
    await expect.poll(() => app.quits).toBe(1);
    app.emit('will-quit', { preventDefault: () => void prevented++ });
    expect(prevented).toBe(1);
  });

  it('takes the workspace from --workspace, or the per-user default', () => {
    expect(workspaceFromArgs(['electron', '.', '--workspace', 'studio/flowers'])).toBe(path.resolve('studio/flowers'));
    expect(workspaceFromArgs(['electron', '.'])).toMatch(/workspaces[/\\]default$/);
  });
});
