/**
 * Where the package check leaves what it built, for itself and for the end-to-end test that runs the
 * packaged app.
 *
 * The built package goes to `out/package/`. Its payload (app.asar extracted, with the files unpacked
 * beside it) goes to the temporary folder instead: Node looks for a module in every `node_modules` above
 * the importing file, so a payload inside the project would borrow whatever the package lacks from the
 * project's own `node_modules`, and a missing dependency would go unnoticed.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** electron-builder's output (`linux-unpacked/`), the stand-in Electron and the payload record. */
export const packageOutDir = path.join(projectRoot, 'out', 'package');

/** Written once the payload is extracted and checked; the end-to-end test starts the studio from it. */
export const payloadRecordFile = path.join(packageOutDir, 'payload.json');

/** One folder per checkout, so two checkouts on one machine do not overwrite each other's payload. */
export function payloadDir(root: string = projectRoot): string {
  const checkout = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `attention-studio-package-${checkout}`, 'app');
}

export interface PayloadRecord {
  /** The extracted app: `bin/attention-studio.js`, `dist/`, `node_modules/`, `package.json`. */
  dir: string;
  version: string;
  /** Bytes of the package's `resources/` folder. */
  resourcesBytes: number;
  builtAt: string;
}

/** The payload the last package check extracted, or null when there is none (or it was since removed). */
export function readPayloadRecord(): PayloadRecord | null {
  if (!existsSync(payloadRecordFile)) return null;
  const record = JSON.parse(readFileSync(payloadRecordFile, 'utf8')) as PayloadRecord;
  return existsSync(path.join(record.dir, 'bin', 'attention-studio.js')) ? record : null;
}

/** The first `node_modules` folder in or above `dir` (where Node would look for a missing module), or null. */
export function nodeModulesAbove(dir: string): string | null {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(current) === current) return null;
  }
}
