/**
 * The desktop window's guards that do not need Electron at run time (types only), so they are tested
 * in plain Node: which links may leave the app and how the user confirms them, what a page may
 * navigate to, and the session's permission and CSP handlers.
 */
import type { MessageBoxOptions, Session, WebContents } from 'electron';
import { contentSecurityPolicy } from '../common/csp.js';

/** Whether a URL is the studio's own page (any route of it: the part after `#` or `?` may differ). */
export function isStudioPage(url: string, rendererIndex: string): boolean {
  return url.split(/[?#]/)[0] === rendererIndex;
}

/**
 * The link as it would be opened, or null when it may not leave the app: only https, without
 * credentials (`https://bank.example@evil.example/` shows one host and opens another).
 */
export function externalLinkTarget(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return null;
  return url.href; // host in punycode: a look-alike Unicode host shows as what it is
}

/** The question shown before a link opens in the user's browser; Cancel is the default. */
export function confirmLinkDialog(href: string): MessageBoxOptions {
  return {
    type: 'question',
    title: 'Open link',
    message: 'Open this link in your web browser?',
    detail: href,
    buttons: ['Cancel', 'Open in browser'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
}

/**
 * The `setWindowOpenHandler` callback: no window ever opens inside the app; an https link opens in
 * the user's browser once they have confirmed it, seeing the whole URL.
 */
export function createWindowOpenHandler(
  confirm: (options: MessageBoxOptions) => Promise<{ response: number }>,
  openExternal: (href: string) => Promise<void>,
) {
  return ({ url }: { url: string }): { action: 'deny' } => {
    const href = externalLinkTarget(url);
    if (href) {
      void confirm(confirmLinkDialog(href))
        .then(({ response }) => (response === 1 ? openExternal(href) : undefined))
        .catch(() => {});
    }
    return { action: 'deny' };
  };
}

/** The part of a web contents its guards touch. */
export type GuardableContents = Pick<WebContents, 'setWindowOpenHandler' | 'on'>;

/**
 * Every web contents of the app (the window's page, and any other that would be created): no window
 * opens inside the app (an https link opens in the user's browser once they confirm it), no navigation
 * leaves the studio's page, no webview attaches.
 */
export function guardWebContents(
  contents: GuardableContents,
  rendererIndex: string,
  confirm: (options: MessageBoxOptions) => Promise<{ response: number }>,
  openExternal: (href: string) => Promise<void>,
): void {
  contents.setWindowOpenHandler(createWindowOpenHandler(confirm, openExternal));
  contents.on('will-navigate', (event, url) => {
    if (!isStudioPage(url, rendererIndex)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

type LockableSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> & {
  webRequest: Pick<Session['webRequest'], 'onHeadersReceived'>;
};

/**
 * No permission is granted, asked for (camera, notifications...) or reported as granted when a page
 * checks; every response carries the studio's CSP, which allows no WebSocket: the window uses IPC.
 */
export function lockDownSession(session: LockableSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] } });
  });
}
