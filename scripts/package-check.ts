/**
 * The package check (`npm run test:package`, part of `npm test`): builds the desktop package for this
 * machine as `npm run dist` would (its `--dir` form, with a stand-in Electron and no native rebuild),
 * checks what a user's package needs, prints its size, then extracts the payload and runs it with Node.
 * The smoke end-to-end test (e2e/package.spec.ts) then drives the studio from that payload.
 *
 *   npx tsx scripts/package-check.ts
 *
 * Exits 1 naming every problem; the size is printed either way.
 */
import { extractFile } from '@electron/asar';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, closeSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { softwareGpuEnvironment } from '../test/softwareGpu.js';
import { buildUnpackedPackage } from './package/build.js';
import { binaryTargetOf, checkPackage, thisMachineTarget, type CheckResult, type Expectations } from './package/checks.js';
import { readPackageContents, sizeByPart, type PackageContents, type PackagedFile } from './package/contents.js';
import { packageOutDir, payloadDir, payloadRecordFile, projectRoot, type PayloadRecord } from './package/layout.js';
import { extractPayload, loadNativeModules, payloadInfo, type InfoReport } from './package/payload.js';
import { readFuses, writeStandInElectron, type FuseName } from './package/standInElectron.js';

/**
 * The most the Linux package's resources/ may take; it was 429 MiB before the file lists, 57 MiB after
 * them, and ONNX Runtime (the CPU inference engine and the export's check) adds 44 MiB.
 */
const BUDGET_BYTES = 110 * 2 ** 20;

/** The tfjs packages the studio imports, directly or through @tensorflow/tfjs. */
const tfjsPackages = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-data',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
];

const require = createRequire(path.join(projectRoot, 'package.json'));
const nodeModules = realpathSync(path.join(projectRoot, 'node_modules'));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** A file of node_modules as the package names it (`node_modules/...`, forward slashes). */
function packagedPath(file: string): string {
  return ['node_modules', ...path.relative(nodeModules, file).split(path.sep)].join('/');
}

function installed(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

interface ProjectPackageJson {
  name: string;
  version: string;
  main: string;
  bin: Record<string, string>;
  devDependencies: Record<string, string>;
}

const projectPackage = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as ProjectPackageJson;
// The configuration as electron-builder reads it (its own loader), for the fuses it must set.
const builderConfig = await (require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: null, fromOptions: null): Promise<{ electronFuses?: Partial<Record<FuseName, boolean>> }>;
}).getConfig(projectRoot, null, null);

function expectations(pkg: ProjectPackageJson, contents: PackageContents, appOutDir: string, fuses: Partial<Record<FuseName, boolean>>): Expectations {
  const resources = path.join(appOutDir, 'resources');
  const archive = path.join(resources, 'app.asar');
  const rendererPage = 'dist/renderer/index.html';
  const wasmBundle = require.resolve('@tensorflow/tfjs-backend-wasm');
  const wasmDir = path.dirname(wasmBundle);
  const head = (file: PackagedFile): Buffer => {
    if (!file.unpacked) return extractFile(archive, file.path).subarray(0, 64);
    const fd = openSync(path.join(`${archive}.unpacked`, file.path), 'r');
    try {
      const buffer = Buffer.alloc(64);
      return buffer.subarray(0, readSync(fd, buffer, 0, 64, 0));
    } finally {
      closeSync(fd);
    }
  };
  const dawnFolder = process.platform === 'darwin' ? 'darwin-universal' : `${process.platform}-${process.arch}`;
  return {
    entries: ['package.json', pkg.main, 'dist/electron/preload/preload.cjs', ...Object.values(pkg.bin), 'dist/electron/node/cli/entry.js', 'dist/electron/node/training/worker.js'],
    rendererPage: { path: rendererPage, html: contents.files.has(rendererPage) ? extractFile(archive, rendererPage).toString('utf8') : '' },
    resolvedBundles: tfjsPackages.map((name) => packagedPath(require.resolve(name))),
    nativeModules: [
      { dependency: 'better-sqlite3', binary: /^node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/ },
      { dependency: 'sharp', binary: /^node_modules\/@img\/sharp-[^/]+\/lib\/sharp-[^/]+\.node$/ },
      { dependency: 'sharp (libvips)', binary: /^node_modules\/@img\/sharp-libvips-[^/]+\/lib\/libvips-cpp\./ },
      ...(installed('webgpu') ? [{ dependency: 'webgpu (Dawn)', binary: new RegExp(`^node_modules/webgpu/dist/${dawnFolder}/dawn\\.node$`) }] : []),
      ...['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']
        .filter(installed)
        .map((name) => ({ dependency: name, binary: new RegExp(`^node_modules/${name}/lib/.+\\.node$`) })),
    ],
    unpackedFiles: [
      ...readdirSync(wasmDir).filter((file) => file.endsWith('.wasm')).map((file) => packagedPath(path.join(wasmDir, file))),
      ...['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.worker.js'].map((file) =>
        packagedPath(require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${file}`)),
      ),
    ],
    devDependencies: Object.keys(pkg.devDependencies),
    fuses: { configured: builderConfig.electronFuses ?? {}, packaged: fuses },
    budgetBytes: BUDGET_BYTES,
    binaryTarget: (file) => binaryTargetOf(head(file)),
    thisMachine: thisMachineTarget(),
  };
}

function report(title: string, results: CheckResult[]): number {
  console.log(title);
  let failed = 0;
  for (const { name, problems } of results) {
    console.log(`  ${problems.length ? '✗' : '✓'} ${name}`);
    for (const problem of problems.slice(0, 20)) console.log(`      ${problem}`);
    if (problems.length > 20) console.log(`      ... and ${problems.length - 20} more`);
    if (problems.length) failed++;
  }
  return failed;
}

function printSize(contents: PackageContents): void {
  console.log(
    `resources/: ${mib(contents.resourcesBytes)} (app.asar ${mib(contents.asarBytes)}, app.asar.unpacked ${mib(contents.unpackedBytes)}); budget ${mib(BUDGET_BYTES)}`,
  );
  const parts = [...sizeByPart(contents)].filter(([, bytes]) => bytes >= 0.25 * 2 ** 20);
  console.log(`  ${parts.map(([part, bytes]) => `${part} ${mib(bytes)}`).join(' · ')}`);
}

/** The first line of a failed child's error output that says what went wrong. */
function failureLine(error: unknown): string {
  const stderr = String((error as { stderr?: string }).stderr ?? '');
  return stderr.split('\n').find((line) => /^\w*Error\b|^attention-studio:/.test(line.trim()))?.trim() ?? String((error as Error).message).split('\n')[0]!;
}

/** What the payload's `info` and native modules must show. */
function payloadChecks(payload: string): CheckResult[] {
  const gpu = softwareGpuEnvironment();
  let info: InfoReport;
  try {
    info = payloadInfo(payload, gpu ?? {});
  } catch (error) {
    return [{ name: '`attention-studio info` runs from the payload', problems: [failureLine(error)] }];
  }
  const backend = (name: string) => info.backends.find((b) => b.name === name);
  const problems: string[] = [];
  if (info.version !== projectPackage.version) problems.push(`version ${info.version}, expected ${projectPackage.version}`);
  if (!backend('wasm')?.available) problems.push(`wasm is unavailable: ${backend('wasm')?.reason}`);
  const webgpu = backend('webgpu');
  if (installed('webgpu') && /not installed|failed to start Dawn|could not start/.test(webgpu?.reason ?? 'not installed')) {
    problems.push(`webgpu: ${webgpu?.reason}`);
  }
  if (installed('webgpu') && gpu && !webgpu?.available) problems.push(`webgpu finds no adapter though SwiftShader is installed: ${webgpu?.reason}`);
  if (['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some(installed) && !backend('tensorflow')?.available) {
    problems.push(`tensorflow: ${backend('tensorflow')?.reason}`);
  }
  const summary = info.backends.map((b) => `${b.name} ${b.available ? 'loads' : 'no'}`).join(', ');
  const results: CheckResult[] = [{ name: `info: version ${info.version}; ${summary}; training would use ${info.selectedBackend}`, problems }];
  try {
    const lines = loadNativeModules(payload, { dawn: installed('webgpu'), tfjsNode: installed('@tensorflow/tfjs-node') });
    for (const line of lines) results.push({ name: line.replace(payload, '<payload>'), problems: [] });
  } catch (error) {
    results.push({ name: 'the native modules load from the payload', problems: [failureLine(error)] });
  }
  return results;
}

if (process.platform !== 'linux') {
  // The stand-in Electron is a Linux one (a Windows or macOS build edits a real executable or app bundle).
  console.log(`package check: skipped on ${process.platform}; it builds the Linux package. Build this platform's with \`npm run dist\`.`);
  process.exit(0);
}

const started = performance.now();
mkdirSync(packageOutDir, { recursive: true });
rmSync(payloadRecordFile, { force: true }); // a payload from an earlier run is not this build's
const electronPackage = require.resolve('electron/package.json');
const electronDist = path.join(packageOutDir, 'electron');
writeStandInElectron(electronDist, path.join(path.dirname(electronPackage), 'LICENSE'));
const built = await buildUnpackedPackage({
  projectRoot,
  outDir: packageOutDir,
  electronDist,
  electronVersion: (JSON.parse(readFileSync(electronPackage, 'utf8')) as { version: string }).version,
});
const staged = built.builtFrom === projectRoot ? '' : ' (from a copy of the project: its node_modules is a link)';
console.log(`\npackage check: built ${path.relative(projectRoot, built.appOutDir)} in ${seconds(started)}${staged}`);

const resources = path.join(built.appOutDir, 'resources');
const contents = readPackageContents(resources);
const executable = path.join(built.appOutDir, projectPackage.name);
const fuses = existsSync(executable) ? readFuses(readFileSync(executable)) : {};
let failed = report('what the package holds:', checkPackage(contents, expectations(projectPackage, contents, built.appOutDir, fuses)));
printSize(contents);

const payloadStarted = performance.now();
const payload = payloadDir();
extractPayload(resources, payload);
failed += report(`the payload run with Node (${payload}):`, payloadChecks(payload));
console.log(`  extracted and run in ${seconds(payloadStarted)}`);

if (failed === 0) {
  const record: PayloadRecord = { dir: payload, version: projectPackage.version, resourcesBytes: contents.resourcesBytes, builtAt: new Date().toISOString() };
  writeFileSync(payloadRecordFile, JSON.stringify(record, null, 2));
}
console.log(`package check: ${failed === 0 ? 'passed' : `${failed} check(s) failed`} in ${seconds(started)}`);
process.exitCode = failed === 0 ? 0 : 1;
