import { describe, expect, it } from 'vitest';
import { binaryTargetOf, checkPackage, pageAssets, thisMachineTarget, type Expectations } from './checks.js';
import { owningPackage, type PackageContents, type PackagedFile } from './contents.js';

const page = '<script type="module" crossorigin src="./assets/index-1.js"></script><link rel="stylesheet" href="./assets/index-1.css">';

/** A package as a good build leaves it, with the expectations it meets. */
function goodPackage(): { contents: PackageContents; expect: Expectations } {
  const packed = ['package.json', 'dist/electron/main/main.js', 'dist/electron/preload/preload.cjs', 'dist/renderer/index.html', 'dist/renderer/assets/index-1.js',
    'dist/renderer/assets/index-1.css', 'node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js'];
  const unpacked = ['node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7',
    'node_modules/webgpu/dist/linux-x64/dawn.node', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'];
  const files = new Map<string, PackagedFile>();
  for (const path of packed) files.set(path, { path, size: 1000, unpacked: false });
  for (const path of unpacked) files.set(path, { path, size: 1000, unpacked: true });
  return {
    contents: { files, missingUnpacked: [], asarBytes: 8000, unpackedBytes: 4000, resourcesBytes: 12_000 },
    expect: {
      entries: ['package.json', 'dist/electron/main/main.js', 'dist/electron/preload/preload.cjs'],
      rendererPage: { path: 'dist/renderer/index.html', html: page },
      resolvedBundles: ['node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js'],
      nativeModules: [
        { dependency: 'better-sqlite3', binary: /better_sqlite3\.node$/ },
        { dependency: 'sharp (libvips)', binary: /libvips-cpp\./ },
        { dependency: 'webgpu (Dawn)', binary: /webgpu\/dist\/linux-x64\/dawn\.node$/ },
      ],
      unpackedFiles: ['node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'],
      devDependencies: ['vitest', 'electron'],
      fuses: { configured: { runAsNode: false, onlyLoadAppFromAsar: true }, packaged: { runAsNode: false, onlyLoadAppFromAsar: true, enableCookieEncryption: false } },
      budgetBytes: 20_000,
      binaryTarget: () => 'linux-x64',
      thisMachine: 'linux-x64',
    },
  };
}

function problemsOf(contents: PackageContents, expect: Expectations): Record<string, string[]> {
  return Object.fromEntries(checkPackage(contents, expect).filter((r) => r.problems.length).map((r) => [r.name, r.problems]));
}

describe('package checks', () => {
  it('find nothing wrong with a package that holds what it must', () => {
    const { contents, expect: expected } = goodPackage();
    expect(problemsOf(contents, expected)).toEqual({});
  });

  it.each<[string, (p: ReturnType<typeof goodPackage>) => void, RegExp, RegExp]>([
    ['an entry point is missing', (p) => p.contents.files.delete('dist/electron/preload/preload.cjs'), /entry points/, /preload\.cjs is missing/],
    ['a script the page loads is missing', (p) => p.contents.files.delete('dist/renderer/assets/index-1.js'), /renderer page/, /assets\/index-1\.js is missing/],
    ['a tfjs bundle Node resolves is missing', (p) => p.contents.files.delete('node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js'), /tfjs bundles/, /tf-core\.node\.js is missing/],
    ['a native module has no binary', (p) => p.contents.files.delete('node_modules/webgpu/dist/linux-x64/dawn.node'), /every native module/, /webgpu \(Dawn\): no file matching/],
    ['a native binary is left inside app.asar', (p) => (p.contents.files.get('node_modules/better-sqlite3/build/Release/better_sqlite3.node')!.unpacked = false),
      /all native code is unpacked/, /better_sqlite3\.node is inside app\.asar/],
    ['an unpacked file is not beside the archive', (p) => p.contents.missingUnpacked.push('node_modules/webgpu/dist/linux-x64/dawn.node'), /all native code/, /not in app\.asar\.unpacked/],
    ['a WASM binary is packed', (p) => (p.contents.files.get('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')!.unpacked = false),
      /WASM binaries/, /simd\.wasm is inside app\.asar/],
    ['a binary is for another platform', (p) => (p.expect.binaryTarget = (f) => (f.path.includes('dawn') ? 'win32' : 'linux-x64')), /this platform only/, /dawn\.node is for win32/],
    ['a devDependency is packaged, even nested', (p) => p.contents.files.set('node_modules/ws/node_modules/vitest/index.js', { path: 'node_modules/ws/node_modules/vitest/index.js', size: 1, unpacked: false }),
      /devDependencies/, /vitest \(a devDependency\)/],
    ['a source map is packaged', (p) => p.contents.files.set('dist/electron/main/main.js.map', { path: 'dist/electron/main/main.js.map', size: 1, unpacked: false }), /source maps/, /main\.js\.map/],
    ['C sources are packaged', (p) => p.contents.files.set('node_modules/better-sqlite3/deps/sqlite3/sqlite3.c', { path: 'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c', size: 1, unpacked: true }),
      /native build sources/, /sqlite3\.c/],
    ['a fuse is not flipped', (p) => (p.expect.fuses.packaged.runAsNode = true), /fuses/, /runAsNode is true in the executable, configured false/],
    ['resources/ is over budget', (p) => (p.contents.resourcesBytes = 20_001), /budget/, /takes 0\.0 MiB/],
  ])('report when %s', (_case, breakIt, check, problem) => {
    const broken = goodPackage();
    breakIt(broken);
    const problems = problemsOf(broken.contents, broken.expect);
    expect(Object.keys(problems).some((name) => check.test(name))).toBe(true);
    expect(Object.entries(problems).filter(([name]) => check.test(name)).flatMap(([, list]) => list).some((line) => problem.test(line))).toBe(true);
  });
});

describe('reading a package', () => {
  it.each([
    ['node_modules/ws/lib/websocket.js', 'ws'],
    ['node_modules/@img/sharp-linux-x64/lib/sharp.node', '@img/sharp-linux-x64'],
    ['node_modules/webgpu/node_modules/@webgpu/types/package.json', '@webgpu/types'],
    ['dist/electron/main/main.js', null],
  ])('%s belongs to %s', (file, owner) => {
    expect(owningPackage(file)).toBe(owner);
  });

  it('finds the scripts and styles a built page loads, beside the page', () => {
    expect(pageAssets({ path: 'dist/renderer/index.html', html: `${page}<link rel="icon" href="data:,">` })).toEqual([
      'dist/renderer/assets/index-1.js',
      'dist/renderer/assets/index-1.css',
    ]);
  });

  function elf(machine: number): Buffer {
    const head = Buffer.alloc(64);
    head.write('\x7fELF', 0, 'latin1');
    head[5] = 1; // little-endian
    head.writeUInt16LE(machine, 18);
    return head;
  }

  it.each([
    [elf(62), 'linux-x64'],
    [elf(183), 'linux-arm64'],
    [Buffer.from('MZ\x90\x00', 'latin1'), 'win32'],
    [Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0, 0, 0, 0]), 'darwin'],
    [Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), 'darwin'],
    [Buffer.from('#!/bin/sh\n'), 'unknown'],
  ])('tells the platform of a binary from its first bytes (%#)', (head, target) => {
    expect(binaryTargetOf(head)).toBe(target);
  });

  it('names this machine as binaryTargetOf would', () => {
    expect(thisMachineTarget('linux', 'x64')).toBe('linux-x64');
    expect(thisMachineTarget('win32', 'x64')).toBe('win32');
  });
});
