/**
 * `attention-studio serve` in a child process, for tests that must see whether a request ends the
 * process (an exception thrown in-process would only be caught and reported by the test runner).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { importImages } from '../../import/importer.js';
import { packageRoot } from '../../paths.js';
import { openWorkspaceDb } from '../../storage/db.js';

/** A small workspace for a serve process: `images/cat` and `images/dog` of 12x12 PNGs in distinct colours, imported into `workspace`. */
export async function importedColourWorkspace(images: string, workspace: string, perClass = 4): Promise<void> {
  let shade = 0;
  for (const cls of ['cat', 'dog']) {
    mkdirSync(path.join(images, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      shade += 25;
      await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: shade, g: 255 - shade, b: i * 40 } } })
        .png()
        .toFile(path.join(images, cls, `${i}.png`));
    }
  }
  const db = openWorkspaceDb(workspace);
  try {
    await importImages(db, { folder: images, workspace });
  } finally {
    db.close();
  }
}

export interface ServeProcess {
  port: number;
  token: string;
  child: ChildProcess;
  /** True while the process runs. */
  alive(): boolean;
  /** What the process wrote to stderr so far (the stack trace when it died). */
  stderr(): string;
  /** SIGTERM, then the exit code, or null when it is still running after `withinMs`. */
  terminate(withinMs?: number): Promise<number | null>;
  /** SIGKILL when still running (cleanup). */
  kill(): void;
}

/**
 * Starts `serve --workspace WORKSPACE`; its user data (the recent-workspaces list) goes to `home`, not the
 * user's own. `gpu: false` hides the software GPU from it (Vulkan finds no driver, so `webgpu` is
 * unavailable): for tests of input handling, where the doctor measuring `webgpu` on SwiftShader would
 * only add minutes of emulated GPU work and Dawn's own shutdown to what they test.
 */
export async function startServeProcess(workspace: string, home: string, options: { gpu?: boolean } = {}): Promise<ServeProcess> {
  const entry = path.join(packageRoot(), 'electron', 'node', 'cli', 'entry.ts');
  mkdirSync(home, { recursive: true });
  const noGpu = options.gpu === false ? { VK_ICD_FILENAMES: path.join(home, 'no-vulkan-driver.json') } : {};
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'serve', '--workspace', workspace, '--json'], {
    cwd: packageRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ATTENTION_STUDIO_BACKEND: 'cpu', ATTENTION_STUDIO_HOME: home, ...noGpu },
  });
  let stdout = '';
  let stderr = '';
  let exitCode: number | null = null;
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : 1);
      resolve(exitCode);
    }),
  );
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await new Promise<{ port: number; url: string }>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) resolve(JSON.parse(line) as { port: number; url: string });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
  const token = new URL(started.url).searchParams.get('token')!;
  return {
    port: started.port,
    token,
    child,
    alive: () => exitCode === null,
    stderr: () => stderr,
    async terminate(withinMs = 10_000) {
      if (exitCode !== null) return exitCode;
      child.kill('SIGTERM');
      const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), withinMs).unref());
      return Promise.race([exited, timer]);
    },
    kill() {
      if (exitCode === null) child.kill('SIGKILL');
    },
  };
}

export interface RawResponse {
  /** The status code of the first response line, or null when the server closed without one. */
  status: number | null;
  text: string;
}

/**
 * Sends bytes as they are (no client-side URL or header normalisation) and collects the answer until
 * the server closes the connection or `timeoutMs` passes. `endAfterWrite` half-closes the connection
 * after the bytes, so that a server waiting for the rest of an incomplete request sees there is none.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5_000, options: { endAfterWrite?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, text });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // One whole answer is enough (keep-alive, or a WebSocket after 101, would hold the socket open).
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head >= 0) {
        const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, head));
        if (text.startsWith('HTTP/1.1 101') || (length && text.length - head - 4 >= Number(length[1]))) finish();
      }
    });
    socket.on('error', finish);
    socket.on('close', finish);
    if (options.endAfterWrite) socket.end(bytes);
    else socket.write(bytes);
  });
}

/** A GET with the token, answered with its status (null: no answer within `timeoutMs`). */
export function getStatus(port: number, pathAndQuery: string, timeoutMs = 5_000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(null);
    });
    req.on('error', () => resolve(null));
  });
}
