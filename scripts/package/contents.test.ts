import { createPackageWithOptions } from '@electron/asar';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPackageContents, sizeByPart } from './contents.js';
import { fuseNames, fuseWire, readFuses, writeStandInElectron } from './standInElectron.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'package-contents-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An app folder packed as electron-builder does it: app.asar, with the .node files unpacked beside it. */
async function packApp(files: Record<string, string>): Promise<string> {
  const app = path.join(root, `app-${Object.keys(files).length}`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(app, file)), { recursive: true });
    writeFileSync(path.join(app, file), text);
  }
  const resources = path.join(app, '..', `resources-${Object.keys(files).length}`);
  mkdirSync(resources, { recursive: true });
  await createPackageWithOptions(app, path.join(resources, 'app.asar'), { unpack: '*.node' });
  return resources;
}

describe('package contents', () => {
  it('lists every file with its size, marks the unpacked ones, and adds up each part', async () => {
    const resources = await packApp({
      'package.json': '{"name":"app"}',
      'dist/main.js': 'x'.repeat(100),
      'node_modules/better-sqlite3/lib/index.js': 'y'.repeat(40),
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node': 'z'.repeat(300),
    });
    const contents = readPackageContents(resources);
    expect([...contents.files.values()].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'dist/main.js', size: 100, unpacked: false },
      { path: 'node_modules/better-sqlite3/build/Release/better_sqlite3.node', size: 300, unpacked: true },
      { path: 'node_modules/better-sqlite3/lib/index.js', size: 40, unpacked: false },
      { path: 'package.json', size: 14, unpacked: false },
    ]);
    expect(contents.missingUnpacked).toEqual([]);
    expect(contents.unpackedBytes).toBe(300);
    expect(contents.resourcesBytes).toBe(contents.asarBytes + 300);
    expect([...sizeByPart(contents)]).toEqual([['better-sqlite3', 340], ['dist', 100], ['package.json', 14]]);
  });

  it('notices an unpacked file that is not beside the archive', async () => {
    const resources = await packApp({ 'package.json': '{}', 'node_modules/webgpu/dawn.node': 'd' });
    rmSync(path.join(resources, 'app.asar.unpacked', 'node_modules', 'webgpu', 'dawn.node'));
    expect(readPackageContents(resources).missingUnpacked).toEqual(['node_modules/webgpu/dawn.node']);
  });
});

describe('the stand-in Electron', () => {
  it("carries a fuse wire in Electron's default states, which reads back as written", () => {
    const dir = path.join(root, 'electron');
    const license = path.join(root, 'LICENSE');
    writeFileSync(license, 'MIT');
    writeStandInElectron(dir, license);
    expect(readFuses(readFileSync(path.join(dir, 'electron')))).toMatchObject({ runAsNode: true, enableCookieEncryption: false, onlyLoadAppFromAsar: false });
    const flipped = Object.fromEntries(fuseNames.map((name) => [name, name === 'runAsNode' ? false : true])) as Record<(typeof fuseNames)[number], boolean>;
    expect(readFuses(Buffer.concat([Buffer.from('elf...'), fuseWire(flipped)]))).toEqual(flipped);
    expect(readFileSync(path.join(dir, 'LICENSE'), 'utf8')).toBe('MIT');
  });

  it('says so when a binary has no fuse wire', () => {
    expect(() => readFuses(Buffer.from('no wire here'))).toThrow(/no fuse wire/);
  });
});
