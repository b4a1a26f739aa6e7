/**
 * What a user's package must hold, checked against what a build put in it. Each check names what it
 * promises and lists every file that breaks the promise.
 */
import type { PackageContents, PackagedFile } from './contents.js';
import { owningPackage } from './contents.js';
import type { FuseName } from './standInElectron.js';

export interface Expectations {
  /** Files the app starts from: the main entry, the preload, the command line, the training worker. */
  entries: string[];
  /** The renderer page and its HTML: the scripts and styles it names must be packaged beside it. */
  rendererPage: { path: string; html: string };
  /** The files Node resolves for the tfjs packages the studio imports. */
  resolvedBundles: string[];
  /** Per native dependency, the binary that must be there (unpacked). */
  nativeModules: { dependency: string; binary: RegExp }[];
  /** Files that must be unpacked though they are not native code: the WASM binaries and workers. */
  unpackedFiles: string[];
  devDependencies: string[];
  /** The fuses electron-builder.yml sets, and those read back from the packaged executable. */
  fuses: { configured: Partial<Record<FuseName, boolean>>; packaged: Partial<Record<FuseName, boolean>> };
  /** The most resources/ may take. */
  budgetBytes: number;
  /** The platform a binary is for (`linux-x64`, `darwin`, `win32`), from its first bytes. */
  binaryTarget: (file: PackagedFile) => string;
  /** What binaryTarget says for this machine. */
  thisMachine: string;
}

export interface CheckResult {
  name: string;
  problems: string[];
}

const NATIVE_BINARY = /\.(node|dll|dylib|exe)$|\.so(\.\d+)*$/;
const SOURCE_OR_MAP = /\.(map|ts|cts|mts|c|cc|cpp|cxx|h|hh|hpp|gyp|gypi|o|obj|a)$|(^|\/)Makefile$/;

export function isNativeBinary(file: string): boolean {
  return NATIVE_BINARY.test(file);
}

/** The scripts and stylesheets a built page loads, relative to the package root. */
export function pageAssets(page: { path: string; html: string }): string[] {
  const folder = page.path.slice(0, page.path.lastIndexOf('/') + 1);
  const refs = [...page.html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  return refs.filter((ref) => !/^[a-z]+:/i.test(ref)).map((ref) => folder + ref.replace(/^\.\//, ''));
}

const ELF_MACHINES: Record<number, string> = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64', 243: 'riscv64', 21: 'ppc64', 22: 's390x' };

/** The platform a native binary is built for, from its first 20 bytes. */
export function binaryTargetOf(head: Buffer): string {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    return `linux-${ELF_MACHINES[machine] ?? `machine-${machine}`}`;
  }
  if (head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a) return 'win32';
  if (head.length >= 4 && [0xcffaedfe, 0xcefaedfe, 0xfeedfacf, 0xfeedface, 0xcafebabe].includes(head.readUInt32BE(0))) return 'darwin';
  return 'unknown';
}

export function thisMachineTarget(platform: string = process.platform, arch: string = process.arch): string {
  return platform === 'linux' ? `linux-${arch}` : platform;
}

function missing(contents: PackageContents, files: string[]): string[] {
  return files.filter((file) => !contents.files.has(file)).map((file) => `${file} is missing`);
}

export function checkPackage(contents: PackageContents, expect: Expectations): CheckResult[] {
  const files = [...contents.files.values()];
  const natives = files.filter((f) => isNativeBinary(f.path));
  const devDependencies = new Set(expect.devDependencies);
  const devInside = new Set(files.map((f) => owningPackage(f.path)).filter((name): name is string => name !== null && devDependencies.has(name)));
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

  return [
    { name: "the app's entry points are inside", problems: missing(contents, expect.entries) },
    {
      name: 'the renderer page and the scripts and styles it loads are inside',
      problems: missing(contents, [expect.rendererPage.path, ...pageAssets(expect.rendererPage)]),
    },
    { name: 'the tfjs bundles Node resolves are inside', problems: missing(contents, expect.resolvedBundles) },
    {
      name: 'every native module has its binary, unpacked beside the archive',
      problems: expect.nativeModules.flatMap(({ dependency, binary }) => {
        const found = natives.filter((f) => binary.test(f.path));
        if (found.length === 0) return [`${dependency}: no file matching ${binary}`];
        return found.filter((f) => !f.unpacked).map((f) => `${dependency}: ${f.path} is inside app.asar`);
      }),
    },
    {
      name: 'all native code is unpacked (it cannot load from inside app.asar)',
      problems: [
        ...natives.filter((f) => !f.unpacked).map((f) => `${f.path} is inside app.asar`),
        ...contents.missingUnpacked.map((file) => `${file} is listed as unpacked but is not in app.asar.unpacked`),
      ],
    },
    {
      name: 'the tfjs WASM binaries and worker scripts are unpacked',
      problems: expect.unpackedFiles.flatMap((file) => {
        const found = contents.files.get(file);
        if (!found) return [`${file} is missing`];
        return found.unpacked ? [] : [`${file} is inside app.asar`];
      }),
    },
    {
      name: `native binaries are for this platform only (${expect.thisMachine})`,
      problems: natives.map((f) => ({ f, target: expect.binaryTarget(f) })).filter(({ target }) => target !== expect.thisMachine)
        .map(({ f, target }) => `${f.path} is for ${target}`),
    },
    {
      name: 'nothing from devDependencies',
      problems: [...devInside].map((name) => `${name} (a devDependency) is packaged`),
    },
    {
      name: 'no source maps, TypeScript or native build sources',
      problems: files.filter((f) => SOURCE_OR_MAP.test(f.path)).map((f) => f.path),
    },
    {
      name: 'the Electron fuses are flipped as electron-builder.yml says',
      problems: Object.entries(expect.fuses.configured)
        .filter(([name, value]) => expect.fuses.packaged[name as FuseName] !== value)
        .map(([name, value]) => `${name} is ${expect.fuses.packaged[name as FuseName] ?? 'absent'} in the executable, configured ${value}`),
    },
    {
      name: `resources/ is within its budget of ${mib(expect.budgetBytes)}`,
      problems: contents.resourcesBytes <= expect.budgetBytes ? [] : [`resources/ takes ${mib(contents.resourcesBytes)}`],
    },
  ];
}
