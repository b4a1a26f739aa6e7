/**
 * Properties of `attention-studio serve` under random input, against one real serve process on
 * 127.0.0.1: whatever the HTTP request, upgrade, WebSocket frame or contract call, the process keeps
 * running, a well-formed request gets an answer (a status; a result or a typed error), and the
 * workspace passes SQLite's integrity check afterwards. Bounded in runs and time; every counterexample
 * found is kept as a plain test in hostileRequests.test.ts or below.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { methods } from '../../common/contract/index.js';
import { errorCodes } from '../../common/errors.js';
import { tempDir } from '../storage/testing/fixtures.js';
import { encodeFrame, openRawWebSocket, type ClientFrame } from './testing/rawWebSocket.js';
import { importedColourWorkspace, rawRequest, startServeProcess, type ServeProcess } from './testing/serveProcess.js';

let root: string;
let sandbox: string;
let serve: ServeProcess;

/** Each property stops after this many runs or this many milliseconds, whichever comes first. */
const budget = (numRuns: number, ms: number) => ({ numRuns, interruptAfterTimeLimit: ms, endOnFailure: true });

beforeAll(async () => {
  root = tempDir('studio-fuzz-');
  sandbox = path.join(root, 'sandbox');
  const workspace = path.join(root, 'ws');
  await importedColourWorkspace(path.join(sandbox, 'images'), workspace);
  // Without the software GPU: serveShutdown.test.ts covers stopping while WebGPU work runs.
  serve = await startServeProcess(workspace, path.join(root, 'home'), { gpu: false });
});

afterAll(() => {
  serve?.kill();
  if (root) rmSync(root, { recursive: true, force: true });
});

function expectAlive(): void {
  expect(serve.alive(), serve.stderr()).toBe(true);
}

// ---- HTTP --------------------------------------------------------------------------------------

const visible = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const tokenChars = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789!#$&*+.^_|~'.split('')), minLength: 1, maxLength: 20 });

const target = () =>
  fc.tuple(
    fc.oneof(
      fc.webPath(),
      visible.map((s) => `/${s}`),
      fc.constantFrom('/', '//[', '/%', '/%E0%A4%A', '/%00', '/..%2f..%2fetc%2fpasswd', '/index.html', '/rpc', '*', 'http://evil.example/', '/%ff%fe', '//'),
    ),
    fc.constantFrom('', '?token=TOKEN', '?token=wrong', '?token=TOKEN&token=x', '?token=%', '#frag'),
  );

const hostHeader = fc.constantFrom('127.0.0.1:PORT', 'localhost:PORT', 'evil.example', '127.0.0.1', '', null);

const wellFormedRequest = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
  target: target(),
  host: hostHeader,
  cookie: fc.constantFrom(null, 'studio_token_PORT=TOKEN', 'studio_token_PORT=nope', 'a=b; studio_token_PORT=TOKEN', '=;;='),
  extra: fc.array(fc.tuple(tokenChars, visible), { maxLength: 4 }),
});

function fill(text: string): string {
  return text.replaceAll('PORT', String(serve.port)).replaceAll('TOKEN', serve.token);
}

type HttpRequest = typeof wellFormedRequest extends fc.Arbitrary<infer T> ? T : never;

function requestText(r: HttpRequest): string {
  const lines = [`${r.method} ${fill(r.target.join(''))} HTTP/1.1`];
  if (r.host !== null) lines.push(`Host: ${fill(r.host)}`);
  if (r.cookie !== null) lines.push(`Cookie: ${fill(r.cookie)}`);
  for (const [name, value] of r.extra) {
    if (!/^(host|cookie|content-length|transfer-encoding|connection|upgrade|expect)$/i.test(name)) lines.push(`${name}: ${value}`);
  }
  lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

describe('HTTP', () => {
  it('answers every well-formed request with a status other than 500, and keeps running', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormedRequest, async (request) => {
        const answer = await rawRequest(serve.port, requestText(request));
        expect([200, 400, 401, 403, 404, 405]).toContain(answer.status);
        expectAlive();
      }),
      budget(300, 8_000),
    );
  });

  it('survives arbitrary bytes where a request should be', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
          fc.tuple(visible, fc.string({ maxLength: 200 })).map(([m, rest]) => Buffer.from(`${m} ${rest}\r\n\r\n`, 'latin1')),
          fc.tuple(wellFormedRequest, fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([r, junk]) => Buffer.concat([Buffer.from(requestText(r).slice(0, -2)), Buffer.from(junk), Buffer.from('\r\n\r\n')])),
        ),
        async (bytes) => {
          const answer = await rawRequest(serve.port, bytes, 2_000, { endAfterWrite: true });
          expect(answer.status).not.toBe(500);
          expectAlive();
        },
      ),
      budget(300, 8_000),
    );
  });
});

// ---- WebSocket upgrades and frames -----------------------------------------------------------------

const upgradeRequest = fc.record({
  target: target(),
  host: hostHeader,
  origin: fc.constantFrom(null, 'http://127.0.0.1:PORT', 'http://localhost:PORT', 'http://evil.example', 'null', ''),
  key: fc.oneof(fc.constant('dGhlIHNhbXBsZSBub25jZQ=='), visible),
  version: fc.constantFrom('13', '8', '12', '', 'x'),
  method: fc.constantFrom('GET', 'GET', 'POST'),
});

type UpgradeRequest = typeof upgradeRequest extends fc.Arbitrary<infer T> ? T : never;

function upgradeText(u: UpgradeRequest): string {
  const lines = [`${u.method} ${fill(u.target.join(''))} HTTP/1.1`];
  if (u.host !== null) lines.push(`Host: ${fill(u.host)}`);
  if (u.origin !== null) lines.push(`Origin: ${fill(u.origin)}`);
  lines.push('Connection: Upgrade', 'Upgrade: websocket', `Sec-WebSocket-Key: ${u.key}`, `Sec-WebSocket-Version: ${u.version}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.record({ id: fc.oneof(fc.integer(), fc.double(), fc.string()), method: fc.constantFrom(...Object.keys(methods), 'x'), args: fc.jsonValue({ maxDepth: 2 }) }).map((r) => Buffer.from(JSON.stringify(r))),
);

const clientFrame: fc.Arbitrary<ClientFrame> = fc.record({
  fin: fc.constantFrom(true, true, true, false),
  rsv: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 7 })),
  opcode: fc.oneof(fc.constantFrom(1, 1, 2, 0, 9, 10), fc.integer({ min: 0, max: 15 })),
  mask: fc.oneof(fc.constant(true), fc.constant(true), fc.boolean()),
  payload,
});

describe('WebSocket', () => {
  it('answers every upgrade request with 101, 400, 401 or 405, and keeps running', async () => {
    await fc.assert(
      fc.asyncProperty(upgradeRequest, async (u) => {
        const answer = await rawRequest(serve.port, upgradeText(u), 2_000);
        expect([101, 400, 401, 405]).toContain(answer.status);
        expectAlive();
      }),
      budget(300, 8_000),
    );
  });

  it('after any frames, answers a request on the same connection or closes it, and keeps running', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(clientFrame, { minLength: 1, maxLength: 5 }), async (frames) => {
        const socket = await openRawWebSocket(serve.port, serve.token);
        try {
          const outcome = await new Promise<'answered' | 'closed' | 'silent'>((resolve) => {
            let received = '';
            const timer = setTimeout(() => resolve('silent'), 5_000);
            socket.on('data', (chunk: Buffer) => {
              received += chunk.toString('latin1');
              if (received.includes('"id":999999,')) {
                clearTimeout(timer);
                resolve('answered');
              }
            });
            socket.on('close', () => {
              clearTimeout(timer);
              resolve('closed');
            });
            socket.on('error', () => {});
            for (const f of frames) socket.write(encodeFrame(f));
            socket.write(encodeFrame({ fin: true, rsv: 0, opcode: 1, mask: true, payload: Buffer.from('{"id":999999,"method":"getSplitSettings","args":{}}') }));
          });
          expect(outcome).not.toBe('silent');
        } finally {
          socket.destroy();
        }
        expectAlive();
      }),
      budget(150, 10_000),
    );
  });
});

// ---- Contract calls -------------------------------------------------------------------------------

/** Argument names that are file-system paths: always under the sandbox, never the machine at large. */
const pathFields = new Set(['folder', 'csv', 'destination', 'path']);


const anyValue = fc.oneof(
  fc.integer({ min: -2, max: 12 }),
  fc.constantFrom(0, 1, 2, 3, 0.5, 1e21, -0, Number.MAX_SAFE_INTEGER, null, true, false, '', 'train', 'val', 'test', 'ok', 'unsure', 'excluded', 'csv', 'folders'),
  fc.array(fc.integer({ min: -1, max: 12 }), { maxLength: 6 }),
  fc.string({ maxLength: 30 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const sandboxPath = fc
  .tuple(fc.constantFrom('images', 'images/cat', 'out', 'new-ws', 'missing', 'labels.csv', 'images/cat/0.png'), fc.constantFrom('', '-a', '-b'))
  .map(([name, suffix]) => `SANDBOX/${name}${suffix}`);

/** The parts of a zod schema's definition that the generator below reads. */
interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  options?: { _zod: { def: SchemaDef } }[];
  entries?: Record<string, string>;
  values?: unknown[];
}

/**
 * Arguments of the shape a method's schema describes, with values near its limits: most calls get
 * through validation and reach the services. Model names are never variants, so no run trains.
 */
function plausible(def: SchemaDef, name = ''): fc.Arbitrary<unknown> {
  const inner = (schema: { _zod: { def: SchemaDef } }, field = name) => plausible(schema._zod.def, field);
  switch (def.type) {
    case 'object':
      return fc.record(Object.fromEntries(Object.entries(def.shape!).map(([field, schema]) => [field, inner(schema, field)])));
    case 'optional':
    case 'default':
      return fc.option(inner(def.innerType!), { nil: undefined, freq: 3 });
    case 'nullable':
      return fc.option(inner(def.innerType!), { nil: null, freq: 4 });
    case 'boolean':
      return fc.boolean();
    case 'string':
      return pathFields.has(name)
        ? sandboxPath
        : fc.oneof(fc.constantFrom('cat', 'dog', 'bird', '', ' ', '..', 'a/b', 'élan', 'x'.repeat(201), 'lite'), fc.string({ maxLength: 12 }));
    case 'number':
      return fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constantFrom(0, 0.1, 0.5, 0.8, 1, 1000, 2 ** 31, -0.5, 1.5));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries!), 'nope');
    case 'literal':
      return fc.constantFrom(...def.values!);
    case 'array':
      return fc.array(inner(def.element!), { maxLength: 5 });
    case 'union':
      return fc.oneof(...def.options!.map((option) => inner(option)));
    default:
      return anyValue;
  }
}

/** Mostly plausible arguments; sometimes with an unknown key added, sometimes anything at all. */
function argumentsFor(method: string): fc.Arbitrary<unknown> {
  if (!Object.hasOwn(methods, method)) return anyValue;
  const schema = methods[method as keyof typeof methods].args as unknown as { _zod: { def: SchemaDef } };
  const shaped = plausible(schema._zod.def);
  const withExtraKey = fc.tuple(shaped, fc.string({ maxLength: 6 }), anyValue).map(([args, key, value]) => ({ ...(args as object), [key]: value }));
  return fc.oneof({ arbitrary: shaped, weight: 8 }, { arbitrary: withExtraKey, weight: 1 }, { arbitrary: anyValue, weight: 1 });
}

const contractCall = fc.constantFrom(...Object.keys(methods), 'dropTables', '__proto__', 'constructor', 'toString').chain((method) =>
  fc.record({
    id: fc.oneof(fc.nat(1_000_000), fc.constantFrom(-1, 1.5, '7', null)),
    method: fc.constant(method as unknown),
    args: argumentsFor(method),
  }),
);

describe('contract calls', () => {
  it('answer every call with a result or a typed error (never internal), and keep running', async () => {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/rpc?token=${serve.token}`);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
    const replies: unknown[] = [];
    const waiting: ((reply: unknown) => void)[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if ('event' in message) return; // pushed events (import progress...) are not replies
      const next = waiting.shift();
      if (next) next(message);
      else replies.push(message);
    });
    const reply = () =>
      new Promise<unknown>((resolve, reject) => {
        if (replies.length) return resolve(replies.shift());
        const timer = setTimeout(() => reject(new Error('no reply within 15 s')), 15_000);
        waiting.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    try {
      await fc.assert(
        fc.asyncProperty(contractCall, async (call) => {
          const text = JSON.stringify(call).replaceAll('SANDBOX', sandbox.replaceAll('\\', '/'));
          ws.send(text);
          const response = (await reply()) as { id: number; ok: boolean; result?: unknown; error?: { code: string; message: string } };
          const id = typeof call.id === 'number' && Number.isSafeInteger(call.id) ? call.id : -1;
          expect(response.id).toBe(id);
          if (!response.ok) {
            expect(errorCodes).toContain(response.error!.code);
            expect(typeof response.error!.message).toBe('string');
            expect(response.error!.code, `${text} -> ${response.error!.message}`).not.toBe('internal');
          }
          expectAlive();
        }),
        budget(400, 15_000),
      );
    } finally {
      ws.close();
    }
  });
});

describe('afterwards', () => {
  it('the process stops cleanly on SIGTERM and every workspace it touched passes integrity_check', async () => {
    expectAlive();
    expect(await serve.terminate(10_000), serve.stderr()).toBe(0);
    const databases = [path.join(root, 'ws', 'studio.sqlite')];
    for (const entry of readdirSync(sandbox, { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('studio.sqlite')) databases.push(path.join(sandbox, entry));
    }
    for (const file of databases) {
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true }), file).toBe('ok');
      } finally {
        db.close();
      }
    }
  });
});
