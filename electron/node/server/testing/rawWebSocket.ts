/**
 * WebSocket frames written byte by byte, for tests that send what no well-behaved client library
 * would: reserved bits, unmasked frames, fragmented control frames.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface ClientFrame {
  fin: boolean;
  /** The three reserved bits, as a number 0-7 (RSV1 is 4). */
  rsv: number;
  opcode: number;
  /** Clients must mask; false makes the frame a protocol error. */
  mask: boolean;
  payload: Buffer;
}

export function encodeFrame(f: ClientFrame): Buffer {
  const { payload } = f;
  const head = [((f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode) & 0xff];
  const maskBit = f.mask ? 0x80 : 0;
  if (payload.length < 126) head.push(maskBit | payload.length);
  else head.push(maskBit | 126, payload.length >> 8, payload.length & 0xff);
  if (!f.mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** The close code in the first close frame among server frames (unmasked, short), or null. */
export function closeCodeIn(bytes: Buffer): number | null {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      start = at + 4;
    } else if (length === 127) {
      return null;
    }
    if (opcode === 8) return length >= 2 && start + 2 <= bytes.length ? bytes.readUInt16BE(start) : 1005;
    at = start + length;
  }
  return null;
}

/** A socket past the handshake of `/rpc` with the token, as the studio page opens it. */
export function openRawWebSocket(port: number, token: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.write(
      `GET /rpc?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const status = head.subarray(0, end).toString('latin1').split('\r\n')[0]!;
      if (!status.startsWith('HTTP/1.1 101')) return reject(new Error(status));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** Writes the frames and resolves with the close code the server answered with (null: closed without one, or silent for `timeoutMs`). */
export function closeCodeAfterFrames(socket: net.Socket, frames: ClientFrame[], timeoutMs = 5_000): Promise<number | null> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      resolve(closeCodeIn(received));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (closeCodeIn(received) !== null) done();
    });
    socket.on('error', () => {});
    socket.on('close', done);
    for (const f of frames) socket.write(encodeFrame(f));
  });
}
