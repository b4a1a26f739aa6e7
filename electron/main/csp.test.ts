import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, withMetaPolicy } from '../common/csp.js';

const page = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer', 'index.html'), 'utf8');
const metaPolicy = (html: string) => /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html)?.[1];

describe('content security policy', () => {
  it("the page's own policy (what the desktop window loads from file://) is the shared one, with no WebSocket", () => {
    expect(metaPolicy(page)).toBe(contentSecurityPolicy({ meta: true }));
    expect(metaPolicy(page)).not.toMatch(/ws:|\*/);
  });

  it('browser mode pins the WebSocket to one origin and port', () => {
    const pinned = withMetaPolicy(page, contentSecurityPolicy({ webSockets: ['ws://127.0.0.1:41234'], meta: true }));
    expect(metaPolicy(pinned)).toContain("connect-src 'self' ws://127.0.0.1:41234;");
    expect(pinned.replace(metaPolicy(pinned)!, '')).toBe(page.replace(metaPolicy(page)!, ''));
  });

  it('keeps frame-ancestors out of a <meta> policy, where browsers ignore it', () => {
    expect(contentSecurityPolicy()).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy({ meta: true })).not.toContain('frame-ancestors');
  });
});
