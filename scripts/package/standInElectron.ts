/**
 * A stand-in for Electron's distribution, so that the package can be built where Electron's binary
 * cannot be downloaded. electron-builder copies the folder, renames the executable after the app and
 * flips the fuses in it; nothing else of Electron is needed for a `--dir` build on Linux.
 *
 * Fuses live in the binary as a wire: a sentinel string, the wire's version, its length, then one byte
 * per fuse ('0' off, '1' on, 'r' removed). The stand-in carries such a wire with Electron's default
 * states, so electron-builder flips it as it would the real one, and the check reads back what it set.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const WIRE_VERSION = 1;

/** The fuses of wire version 1 in wire order, by their electron-builder `electronFuses` names. */
export const fuseNames = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;

export type FuseName = (typeof fuseNames)[number];

/** Electron's own settings, before anything is flipped. */
const electronDefaults: Record<FuseName, boolean> = {
  runAsNode: true,
  enableCookieEncryption: false,
  enableNodeOptionsEnvironmentVariable: true,
  enableNodeCliInspectArguments: true,
  enableEmbeddedAsarIntegrityValidation: false,
  onlyLoadAppFromAsar: false,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: true,
};

export function fuseWire(states: Record<FuseName, boolean> = electronDefaults): Buffer {
  const fuses = fuseNames.map((name) => (states[name] ? 0x31 : 0x30));
  return Buffer.concat([Buffer.from(SENTINEL, 'latin1'), Buffer.from([WIRE_VERSION, fuses.length, ...fuses])]);
}

/** The fuses as set in a binary (removed ones left out); throws when the binary has no wire. */
export function readFuses(binary: Buffer): Partial<Record<FuseName, boolean>> {
  const at = binary.indexOf(SENTINEL, 0, 'latin1');
  if (at < 0) throw new Error('no fuse wire in the binary');
  const wire = at + SENTINEL.length;
  if (binary[wire] !== WIRE_VERSION) throw new Error(`fuse wire version ${binary[wire]}, expected ${WIRE_VERSION}`);
  const states: Partial<Record<FuseName, boolean>> = {};
  fuseNames.slice(0, binary[wire + 1]).forEach((name, i) => {
    const state = binary[wire + 2 + i];
    if (state === 0x30 || state === 0x31) states[name] = state === 0x31;
  });
  return states;
}

/**
 * Writes the stand-in distribution to `dir` (emptied first): an executable `electron` that says what it
 * is when run, with a fuse wire, and Electron's LICENSE.
 */
export function writeStandInElectron(dir: string, licenseFile: string): void {
  if (process.platform !== 'linux') throw new Error(`the stand-in Electron is made for Linux, not ${process.platform}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const script = '#!/bin/sh\necho "A stand-in for Electron made by the package check; it cannot run the app." >&2\nexit 1\n';
  const executable = path.join(dir, 'electron');
  // The wire sits after the script's `exit`, in a comment line, where the shell never reads it.
  writeFileSync(executable, Buffer.concat([Buffer.from(`${script}# `), fuseWire(), Buffer.from('\n')]));
  chmodSync(executable, 0o755);
  writeFileSync(path.join(dir, 'LICENSE'), readFileSync(licenseFile));
}
