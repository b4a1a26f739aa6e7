/**
 * Builds the unpacked package (`electron-builder --dir`) for this machine with a stand-in Electron,
 * from electron-builder.yml as `npm run dist` uses it, without the native rebuild: the app's native
 * modules stay built for Node, which is what the check then runs the payload with (and a rebuild
 * against Electron needs Electron's headers from the internet).
 */
import { Arch, build, Platform } from 'electron-builder';
import { cpSync, linkSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * A copy of the project to build from when its node_modules is a link to an install elsewhere (several
 * checkouts sharing one install). npm cannot list such a tree (it reports every package as extraneous),
 * and electron-builder, which collects the dependencies through `npm list`, would package an app
 * without them. The copy holds node_modules as hard links: a second or two, no extra space.
 */
function stageProject(root: string, stage: string): void {
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  // Build outputs and hidden folders (.git, benchmark workspaces) are not part of what gets packaged.
  const leaveOut = new Set(['node_modules', 'out', 'release', 'test-results', 'playwright-report']);
  for (const entry of readdirSync(root)) {
    if (!leaveOut.has(entry) && !entry.startsWith('.')) cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
  linkTree(realpathSync(path.join(root, 'node_modules')), path.join(stage, 'node_modules'));
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink()) cpSync(source, target, { verbatimSymlinks: true });
    else linkSync(source, target);
  }
}

export interface BuiltPackage {
  /** The folder a user's machine gets: the executable, resources/app.asar and app.asar.unpacked. */
  appOutDir: string;
  /** Where electron-builder ran: the project, or its staged copy. */
  builtFrom: string;
}

export async function buildUnpackedPackage(options: {
  projectRoot: string;
  outDir: string;
  electronDist: string;
  electronVersion: string;
}): Promise<BuiltPackage> {
  const arch = Arch[process.arch as keyof typeof Arch];
  if (process.platform !== 'linux' || typeof arch !== 'number') throw new Error(`the package check builds for Linux, not ${process.platform}-${process.arch}`);
  let builtFrom = options.projectRoot;
  if (lstatSync(path.join(options.projectRoot, 'node_modules')).isSymbolicLink()) {
    builtFrom = path.join(options.outDir, 'project');
    stageProject(options.projectRoot, builtFrom);
  }
  const output = path.join(options.outDir, 'build');
  rmSync(output, { recursive: true, force: true });
  await build({
    projectDir: builtFrom,
    targets: Platform.LINUX.createTarget('dir', arch),
    publish: 'never',
    config: {
      electronDist: options.electronDist,
      electronVersion: options.electronVersion,
      npmRebuild: false,
      directories: { output },
    },
  });
  return { appOutDir: path.join(output, arch === Arch.x64 ? 'linux-unpacked' : `linux-${Arch[arch]}-unpacked`), builtFrom };
}
