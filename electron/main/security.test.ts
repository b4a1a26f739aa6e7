import { describe, expect, it } from 'vitest';
import type { MessageBoxOptions } from 'electron';
import { confirmLinkDialog, createWindowOpenHandler, externalLinkTarget, guardWebContents, isStudioPage, lockDownSession } from './security.js';

describe('links leaving the app', () => {
  it.each([
    ['https://github.com/owner/repo#readme', 'https://github.com/owner/repo#readme'],
    ['https://xn--80ak6aa92e.com/', 'https://xn--80ak6aa92e.com/'],
    ['https://аррӏе.com/', 'https://xn--80ak6aa92e.com/'], // a look-alike host shows as punycode
    ['http://example.com/', null],
    ['file:///etc/passwd', null],
    ['javascript:alert(1)', null],
    ['data:text/html,<script>1</script>', null],
    ['smb://server/share', null],
    ['https://bank.example@evil.example/', null],
    ['https://user:pass@example.com/', null],
    ['not a url', null],
  ])('%s opens as %s', (raw, expected) => {
    expect(externalLinkTarget(raw)).toBe(expected);
  });

  function harness(answer: number) {
    const asked: MessageBoxOptions[] = [];
    const opened: string[] = [];
    const handler = createWindowOpenHandler(
      async (options) => {
        asked.push(options);
        return { response: answer };
      },
      async (href) => {
        opened.push(href);
      },
    );
    return { asked, opened, handler };
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('never opens a window in the app, and opens an https link only after the user confirmed it, showing the URL', async () => {
    const yes = harness(1);
    expect(yes.handler({ url: 'https://example.com/docs?q=1' })).toEqual({ action: 'deny' });
    await settle();
    expect(yes.asked).toHaveLength(1);
    expect(yes.asked[0]!.detail).toBe('https://example.com/docs?q=1');
    expect(yes.opened).toEqual(['https://example.com/docs?q=1']);
  });

  it('does not open a link the user cancelled, and never asks about one that may not leave', async () => {
    const no = harness(0);
    expect(no.handler({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(no.handler({ url: 'file:///home/me/.ssh/id_rsa' })).toEqual({ action: 'deny' });
    await settle();
    expect(no.asked).toHaveLength(1);
    expect(no.opened).toEqual([]);
  });

  it('makes Cancel the default answer', () => {
    const dialog = confirmLinkDialog('https://example.com/');
    expect(dialog.buttons![dialog.defaultId!]).toBe('Cancel');
    expect(dialog.cancelId).toBe(dialog.defaultId);
  });
});

describe('what a page may navigate to', () => {
  const index = 'file:///opt/Attention%20Studio/resources/app.asar/dist/renderer/index.html';
  type Listener = (event: { preventDefault(): void }, url?: string) => void;

  function guarded() {
    const listeners: Record<string, Listener> = {};
    let openHandler: ((details: { url: string }) => { action: string }) | null = null;
    guardWebContents(
      {
        setWindowOpenHandler: (handler: never) => void (openHandler = handler),
        on: (event: string, listener: Listener) => void (listeners[event] = listener),
      } as never,
      index,
      async () => ({ response: 0 }),
      async () => {},
    );
    const prevented = (event: string, url?: string) => {
      let stopped = false;
      listeners[event]!({ preventDefault: () => (stopped = true) }, url);
      return stopped;
    };
    return { prevented, openHandler: openHandler! };
  }

  it.each([
    [`${index}#/runs`, false],
    [`${index}?token=1`, false],
    ['https://example.com/', true],
    ['file:///etc/passwd', true],
    [`${index}.evil.html`, true],
    ['file:///opt/Attention%20Studio/resources/app.asar/dist/renderer/other.html', true],
  ])('navigation to %s is refused: %s', (url, refused) => {
    expect(isStudioPage(url, index)).toBe(!refused);
    expect(guarded().prevented('will-navigate', url)).toBe(refused);
  });

  it('refuses every webview and every new window', () => {
    const { prevented, openHandler } = guarded();
    expect(prevented('will-attach-webview')).toBe(true);
    for (const url of ['https://example.com/', index, 'about:blank']) expect(openHandler({ url })).toEqual({ action: 'deny' });
  });
});

describe('session lock-down', () => {
  type Handler = (...args: never[]) => unknown;
  const installed: Record<string, Handler> = {};
  lockDownSession({
    setPermissionRequestHandler: (handler: Handler | null) => void (installed.request = handler!),
    setPermissionCheckHandler: (handler: Handler | null) => void (installed.check = handler!),
    webRequest: { onHeadersReceived: ((handler: Handler) => void (installed.headers = handler)) as never },
  } as never);

  it.each(['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal'])('refuses and reports as refused the permission %s', (permission) => {
    let granted: boolean | null = null;
    (installed.request as (c: unknown, p: string, cb: (g: boolean) => void) => void)({}, permission, (g) => (granted = g));
    expect(granted).toBe(false);
    expect((installed.check as (c: unknown, p: string) => boolean)({}, permission)).toBe(false);
  });

  it('adds a CSP that allows no WebSocket to every response', () => {
    let headers: Record<string, string[]> = {};
    (installed.headers as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)(
      { responseHeaders: { 'Content-Type': ['text/html'] } },
      (r) => (headers = r.responseHeaders),
    );
    expect(headers['Content-Type']).toEqual(['text/html']);
    const [policy] = headers['Content-Security-Policy']!;
    expect(policy).toContain("connect-src 'self';");
    expect(policy).not.toMatch(/ws:/);
    expect(policy).toContain("frame-ancestors 'none'");
  });
});
