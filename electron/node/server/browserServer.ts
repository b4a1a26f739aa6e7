/**
 * Browser mode: the built renderer and the contract (over a WebSocket) from one local HTTP server.
 * It listens on 127.0.0.1 only and every request must carry the per-launch token, either in the URL
 * (`?token=`) or in the cookie set when that URL is first opened; anything else gets 401.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RpcRequest, RpcResponse } from '../../common/contract/wire.js';
import { contentSecurityPolicy, withMetaPolicy } from '../../common/csp.js';
import type { EventHub } from '../events.js';
import { respond, type Dispatch } from '../rpc/dispatch.js';

export interface BrowserServerOptions {
  dispatch: Dispatch;
  events: EventHub;
  /** Folder of the built renderer. */
  staticDir: string;
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The request target as a URL, or null when it is not one (`//[`, a bad percent-escape): such a
 * request is answered 400 before any check, and never throws out of a handler.
 */
export function parseRequestTarget(target: string | undefined, origin: string): { url: URL; pathname: string } | null {
  try {
    const url = new URL(target ?? '/', origin);
    return { url, pathname: decodeURIComponent(url.pathname) };
  } catch {
    return null;
  }
}

/** A response over a raw socket (upgrade requests), then the socket closed. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticRoot = path.resolve(options.staticDir);
  const indexFile = path.join(staticRoot, 'index.html');
  let port = 0;
  const cookieName = () => `studio_token_${port}`;

  const allowedHost = (host: string | undefined) => host === `${HOST}:${port}` || host === `localhost:${port}`;

  const authorised = (req: http.IncomingMessage, url: URL): 'query' | 'cookie' | null => {
    if (sameToken(url.searchParams.get('token'), token)) return 'query';
    if (sameToken(cookieValue(req.headers.cookie, cookieName()), token)) return 'cookie';
    return null;
  };

  const refuse = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${status} ${message}\n`);
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const target = parseRequestTarget(req.url, `http://${HOST}:${port}`);
      if (!target) return refuse(res, 400, 'Bad Request: the path is not a valid URL');
      const { url } = target;
      if (!allowedHost(req.headers.host)) return refuse(res, 403, 'Forbidden: unexpected Host header');
      const auth = authorised(req, url);
      if (!auth) return refuse(res, 401, 'Unauthorized: open the URL with the token that `attention-studio serve` printed');
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method Not Allowed');

      let relative = target.pathname;
      if (relative === '/' || relative === '') relative = '/index.html';
      const file = path.resolve(staticRoot, `.${relative}`);
      if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return refuse(res, 404, 'Not Found');
      let stat;
      try {
        stat = await fs.stat(file);
      } catch {
        return refuse(res, 404, 'Not Found');
      }
      if (!stat.isFile()) return refuse(res, 404, 'Not Found');

      // The page may open one WebSocket: this server's, on this port.
      const webSockets = [`ws://${HOST}:${port}`, `ws://localhost:${port}`];
      // The built page carries the desktop window's policy (no WebSocket) in a <meta>; browsers apply
      // both policies, so the page's copy gets the same pinned origins as the header.
      const page = file === indexFile ? Buffer.from(withMetaPolicy(await fs.readFile(file, 'utf8'), contentSecurityPolicy({ webSockets, meta: true }))) : null;
      const headers: Record<string, string> = {
        'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
        'content-length': String(page ? page.length : stat.size),
        'content-security-policy': contentSecurityPolicy({ webSockets }),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      };
      if (auth === 'query') headers['set-cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return res.end();
      if (page) return res.end(page);
      // A file that vanishes or fails mid-read ends this response only.
      pipeline(createReadStream(file), res, (error) => {
        if (error) res.destroy();
      });
    })().catch(() => {
      if (!res.headersSent) refuse(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket: Duplex, head) => {
    // Node hands the socket over without its own error listener: a client that resets it mid-answer
    // would otherwise be an unhandled 'error' event, which ends the process.
    socket.on('error', () => socket.destroy());
    try {
      const target = parseRequestTarget(req.url, `http://${HOST}:${port}`);
      if (!target) return refuseUpgrade(socket, 400, 'Bad Request');
      const origin = req.headers.origin;
      const originOk = origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
      if (target.pathname !== '/rpc' || !allowedHost(req.headers.host) || !originOk || !authorised(req, target.url)) {
        return refuseUpgrade(socket, 401, 'Unauthorized');
      }
      wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      socket.destroy();
    }
  });

  const send = (ws: WebSocket, response: RpcResponse) => {
    if (ws.readyState !== ws.OPEN) return;
    let frame: string;
    try {
      frame = JSON.stringify(response);
    } catch (error) {
      frame = JSON.stringify({ id: response.id, ok: false, error: { code: 'internal', message: `The result cannot be sent: ${(error as Error).message}` } });
    }
    ws.send(frame);
  };

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    // A protocol error (a text frame that is not UTF-8, a frame over maxPayload, a bad opcode) ends
    // that connection: ws has already sent the close code (1007, 1009, 1002) and only reports it here.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let request: Partial<RpcRequest>;
        try {
          if (isBinary) throw new Error('binary frame');
          request = JSON.parse(data.toString()) as Partial<RpcRequest>;
          if (typeof request !== 'object' || request === null) throw new Error('not an object');
        } catch {
          send(ws, { id: -1, ok: false, error: { code: 'invalid_argument', message: 'Request is not a JSON object', field: '(request)' } });
          return;
        }
        const id = typeof request.id === 'number' && Number.isSafeInteger(request.id) ? request.id : -1;
        send(ws, await respond(options.dispatch, id, request.method, request.args));
      })().catch(() => ws.terminate());
    });
  });

  const unsubscribe = options.events.subscribe((event, payload) => {
    const frame = JSON.stringify({ event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
