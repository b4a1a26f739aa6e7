import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RpcResponse } from '../../common/contract/wire.js';
import { EventHub } from '../events.js';
import { packageRoot } from '../paths.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers } from '../services/index.js';
import { startBrowserServer, type BrowserServer } from './browserServer.js';

const TOKEN = 'test-token-0123456789abcdef';
let server: BrowserServer;
const events = new EventHub();

beforeAll(async () => {
  const staticDir = mkdtempSync(path.join(os.tmpdir(), 'studio-static-'));
  // The renderer's page as written (its <meta> policy is the desktop window's), before the build.
  copyFileSync(path.join(packageRoot(), 'renderer', 'index.html'), path.join(staticDir, 'index.html'));
  writeFileSync(path.join(os.tmpdir(), 'outside-static.txt'), 'secret');
  const dispatch = createDispatcher(createHandlers({ mode: 'browser', workspace: null, events }));
  server = await startBrowserServer({ dispatch, events, staticDir, token: TOKEN });
});
afterAll(() => server.close());

const base = () => `http://127.0.0.1:${server.port}`;

function openSocket(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function request(ws: WebSocket, message: string): Promise<RpcResponse> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data)) as RpcResponse));
    ws.send(message);
  });
}

describe('browser-mode server', () => {
  it('binds to 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });

  it.each([
    ['no token', '/'],
    ['a wrong token', '/?token=wrong'],
    ['a token of the right length but wrong value', `/?token=${'x'.repeat(TOKEN.length)}`],
    ['an asset without token', '/index.html'],
  ])('refuses a request with %s (401)', async (_label, url) => {
    const response = await fetch(base() + url);
    expect(response.status).toBe(401);
  });

  it('serves the page with the token, with a strict CSP and a cookie for the assets', async () => {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toContain('HttpOnly');
    const asset = await fetch(`${base()}/index.html`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
  });

  it('pins the page’s WebSocket source to this server’s port, in the header and in the page’s own <meta>', async () => {
    const response = await fetch(server.url);
    const body = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(body.length);
    const pinned = `connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port};`;
    expect(response.headers.get('content-security-policy')).toContain(pinned);
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(body.toString())?.[1];
    expect(meta).toContain(pinned);
    expect(meta).not.toContain(':*');
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(body.length));
  });

  it('refuses paths outside the renderer folder and foreign Host headers', async () => {
    const traversal = await fetch(`${base()}/..%2Foutside-static.txt?token=${TOKEN}`);
    expect(traversal.status).toBe(404);
    const rebinding = await new Promise<number>((resolve) => {
      import('node:http').then(({ get }) =>
        get({ host: '127.0.0.1', port: server.port, path: `/?token=${TOKEN}`, headers: { host: 'evil.example:80' } }, (res) => resolve(res.statusCode ?? 0)),
      );
    });
    expect(rebinding).toBe(403);
  });

  it('refuses a WebSocket without the token or from another origin', async () => {
    await expect(openSocket('')).rejects.toThrow('401');
    await expect(openSocket('?token=nope')).rejects.toThrow('401');
    await expect(openSocket(`?token=${TOKEN}`, { origin: 'http://evil.example' })).rejects.toThrow('401');
  });

  it('answers contract calls over the WebSocket, with typed errors for malformed ones', async () => {
    const ws = await openSocket(`?token=${TOKEN}`);
    try {
      const ok = await request(ws, JSON.stringify({ id: 1, method: 'info', args: { probeBackends: false } }));
      expect(ok).toMatchObject({ id: 1, ok: true, result: { name: 'Attention Studio', mode: 'browser' } });
      expect(await request(ws, '{not json')).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      expect(await request(ws, JSON.stringify({ id: 2, method: 'info', args: { probeBackends: 3 } }))).toMatchObject({
        id: 2,
        ok: false,
        error: { code: 'invalid_argument', field: 'probeBackends' },
      });
      expect(await request(ws, JSON.stringify({ id: 3, method: 'dropTables', args: {} }))).toMatchObject({ id: 3, ok: false, error: { code: 'unknown_method' } });
    } finally {
      ws.close();
    }
  });

  it('pushes events to connected clients', async () => {
    const ws = await openSocket(`?token=${TOKEN}`);
    try {
      const received = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
      events.emit('job.progress', { jobId: 'j1', kind: 'test', done: 1, total: 2, message: 'half' });
      expect(await received).toEqual({ event: 'job.progress', payload: { jobId: 'j1', kind: 'test', done: 1, total: 2, message: 'half' } });
    } finally {
      ws.close();
    }
  });
});
