/**
 * Requests that once ended or stalled `attention-studio serve`, each sent to a real `serve` process:
 * after each one the process must still run and answer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RpcResponse } from '../../common/contract/wire.js';
import { importImages } from '../import/importer.js';
import { rendererDist } from '../paths.js';
import { openWorkspaceDb } from '../storage/db.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { closeCodeAfterFrames, openRawWebSocket, type ClientFrame } from './testing/rawWebSocket.js';
import { getStatus, rawRequest, startServeProcess, type ServeProcess } from './testing/serveProcess.js';

const fifoSupported = process.platform !== 'win32';
let root: string;
let serve: ServeProcess;
const imageIds = new Map<string, number>();

beforeAll(async () => {
  root = tempDir('studio-hostile-requests-');
  const folder = path.join(root, 'images');
  mkdirSync(path.join(folder, 'cat'), { recursive: true });
  for (const [name, red] of [['kept.png', 10], ['now-a-fifo.png', 250]] as const) {
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: red, g: 200, b: 60 } } })
      .png()
      .toFile(path.join(folder, 'cat', name));
  }
  const workspace = path.join(root, 'ws');
  const db = openWorkspaceDb(workspace);
  await importImages(db, { folder, workspace });
  for (const row of db.prepare('SELECT id, file_name FROM images').all() as { id: number; file_name: string }[]) imageIds.set(row.file_name, row.id);
  db.close();
  if (fifoSupported) {
    const fifo = path.join(folder, 'cat', 'now-a-fifo.png');
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
  }
  serve = await startServeProcess(workspace, path.join(root, 'home'));
});

afterAll(() => {
  serve?.kill();
  if (root) rmSync(root, { recursive: true, force: true });
});

const pageStatus = () => (existsSync(path.join(rendererDist(), 'index.html')) ? 200 : 404);

async function expectStillServing(): Promise<void> {
  expect(serve.alive(), serve.stderr()).toBe(true);
  expect(await getStatus(serve.port, `/?token=${serve.token}`)).toBe(pageStatus());
}

function openSocket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/rpc?token=${serve.token}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Sends one frame and resolves with the close code the server ends the connection with (1006 when
 * the server closed the TCP connection while the frame was still going out).
 */
function closeCodeAfter(send: (ws: WebSocket) => void): Promise<number> {
  return openSocket().then(
    (ws) =>
      new Promise<number>((resolve) => {
        ws.on('error', () => {}); // the server may reset while a large frame is still going out
        ws.once('close', (code) => resolve(code));
        send(ws);
      }),
  );
}

function call(ws: WebSocket, id: number, method: string, args: unknown): Promise<RpcResponse> {
  return new Promise((resolve) => {
    const listener = (data: WebSocket.RawData) => {
      const response = JSON.parse(String(data)) as RpcResponse;
      if (response.id !== id) return;
      ws.off('message', listener);
      resolve(response);
    };
    ws.on('message', listener);
    ws.send(JSON.stringify({ id, method, args }));
  });
}

const upgrade = (target: string) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

describe('serve survives hostile requests', () => {
  // `//?token=%` was found by serve.fuzz.test.ts: an empty authority is not a URL either.
  it.each([['//['], ['//[?token=x'], ['/%E0%A4%A'], ['//?token=%'], ['//']])('answers an upgrade to %s with 400, without a token', async (target) => {
    const answer = await rawRequest(serve.port, upgrade(target));
    expect(answer.status).toBe(400);
    await expectStillServing();
  });

  it('answers 400 to a path with bad percent-encoding', async () => {
    expect(await getStatus(serve.port, `/%E0%A4%A?token=${serve.token}`)).toBe(400);
    expect(await getStatus(serve.port, `/%?token=${serve.token}`)).toBe(400);
    await expectStillServing();
  });

  it('closes a connection that sends a text frame of invalid UTF-8 (1007), and keeps serving', async () => {
    expect(await closeCodeAfter((ws) => ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }))).toBe(1007);
    await expectStillServing();
  });

  it('closes a connection that sends a frame over 16 MiB (1009), and keeps serving', async () => {
    expect([1009, 1006]).toContain(await closeCodeAfter((ws) => ws.send(Buffer.alloc(16 * 1024 * 1024 + 1, 0x20), { binary: false })));
    await expectStillServing();
  });

  // A fragmented ping with RSV1 set was found by serve.fuzz.test.ts; its neighbours are here too.
  it.each<[string, ClientFrame]>([
    ['a fragmented ping with RSV1 set', { fin: false, rsv: 4, opcode: 9, mask: true, payload: Buffer.from('[false,-2.5]') }],
    ['a text frame with RSV1 set', { fin: true, rsv: 4, opcode: 1, mask: true, payload: Buffer.from('{}') }],
    ['an unmasked frame', { fin: true, rsv: 0, opcode: 1, mask: false, payload: Buffer.from('{}') }],
    ['a reserved opcode', { fin: true, rsv: 0, opcode: 3, mask: true, payload: Buffer.from('{}') }],
    ['a continuation with nothing to continue', { fin: true, rsv: 0, opcode: 0, mask: true, payload: Buffer.from('{}') }],
  ])('closes a connection that sends %s (1002), and keeps serving', async (_label, bad) => {
    const socket = await openRawWebSocket(serve.port, serve.token);
    try {
      expect(await closeCodeAfterFrames(socket, [bad])).toBe(1002);
    } finally {
      socket.destroy();
    }
    await expectStillServing();
  });

  it('still answers contract calls on a new connection after those', async () => {
    const ws = await openSocket();
    try {
      expect(await call(ws, 1, 'classCounts', {})).toMatchObject({ id: 1, ok: true, result: { all: { total: 2 } } });
    } finally {
      ws.close();
    }
  });

  it.runIf(fifoSupported)('previews an image whose file became a FIFO from its thumbnail, keeps serving, and stops on SIGTERM', { timeout: 30_000 }, async () => {
    const ws = await openSocket();
    try {
      const id = imageIds.get('now-a-fifo.png')!;
      // More previews at once than libuv has threads: each FIFO open would have held one forever.
      const previews = await Promise.all(Array.from({ length: 6 }, (_, i) => call(ws, 100 + i, 'getImagePreview', { imageId: id, maxSide: 64 })));
      for (const preview of previews) expect(preview).toMatchObject({ ok: true, result: { imageId: id, fromOriginal: false } });
      expect(await call(ws, 200, 'getImagePreview', { imageId: imageIds.get('kept.png')!, maxSide: 64 })).toMatchObject({
        ok: true,
        result: { fromOriginal: true, width: 40, height: 30 },
      });
    } finally {
      ws.close();
    }
    await expectStillServing();
    expect(await serve.terminate(10_000)).toBe(0);
  });
});
