/**
 * What a built package holds: every file of the app (from app.asar's header), whether it was unpacked
 * beside the archive, and how many bytes each part takes.
 */
import { getRawHeader, uncache } from '@electron/asar';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface PackagedFile {
  /** Relative to the app's root, with forward slashes: `node_modules/better-sqlite3/lib/index.js`. */
  path: string;
  size: number;
  /** Stored in app.asar.unpacked (where native code must be) rather than inside the archive. */
  unpacked: boolean;
}

export interface PackageContents {
  files: Map<string, PackagedFile>;
  /** Files the header lists as unpacked that are not in app.asar.unpacked. */
  missingUnpacked: string[];
  asarBytes: number;
  unpackedBytes: number;
  /** Everything under resources/: the archive, its unpacked files, anything else. */
  resourcesBytes: number;
}

interface HeaderNode {
  files?: Record<string, HeaderNode>;
  size?: number;
  unpacked?: boolean;
  link?: string;
}

function* walkHeader(node: HeaderNode, prefix: string): Generator<PackagedFile> {
  for (const [name, child] of Object.entries(node.files ?? {})) {
    const at = prefix ? `${prefix}/${name}` : name;
    if (child.files) yield* walkHeader(child, at);
    else if (child.link === undefined) yield { path: at, size: child.size ?? 0, unpacked: child.unpacked === true };
  }
}

/** Every regular file under `dir`, relative to it with forward slashes, and its size. */
export function filesOnDisk(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (current: string, prefix: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const at = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(full, at);
      else if (entry.isFile()) found.set(at, lstatSync(full).size);
    }
  };
  visit(dir, '');
  return found;
}

/** Reads `resources/app.asar` and `resources/app.asar.unpacked` of a built package. */
export function readPackageContents(resourcesDir: string): PackageContents {
  const archive = path.join(resourcesDir, 'app.asar');
  uncache(archive); // a rebuilt archive at the same path must be read again
  const header = getRawHeader(archive).header as HeaderNode;
  const files = new Map<string, PackagedFile>();
  for (const file of walkHeader(header, '')) files.set(file.path, file);
  const unpackedOnDisk = filesOnDisk(`${archive}.unpacked`);
  const resources = filesOnDisk(resourcesDir);
  return {
    files,
    missingUnpacked: [...files.values()].filter((f) => f.unpacked && !unpackedOnDisk.has(f.path)).map((f) => f.path),
    asarBytes: resources.get('app.asar') ?? 0,
    unpackedBytes: [...unpackedOnDisk.values()].reduce((sum, size) => sum + size, 0),
    resourcesBytes: [...resources.values()].reduce((sum, size) => sum + size, 0),
  };
}

/** The dependency a packaged file belongs to (`@tensorflow/tfjs-core`, `webgpu`), or null for the app's own. */
export function owningPackage(file: string): string | null {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:(?!node_modules\/).)*$/.exec(file);
  return match ? match[1]! : null;
}

/** Bytes per part: each dependency by name, and the app's own top-level folders and files. */
export function sizeByPart(contents: PackageContents): Map<string, number> {
  const parts = new Map<string, number>();
  for (const file of contents.files.values()) {
    const part = owningPackage(file.path) ?? file.path.split('/')[0]!;
    parts.set(part, (parts.get(part) ?? 0) + file.size);
  }
  return new Map([...parts].sort((a, b) => b[1] - a[1]));
}
