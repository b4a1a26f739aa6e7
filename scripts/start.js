// `npm start`: the Electron window when Electron's binary is installed and a display exists,
// browser mode (the same renderer over a local server) otherwise. Runs after `npm run build`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { defaultWorkspace } from '../dist/electron/node/workspace.js';

const require = createRequire(import.meta.url);
const extra = process.argv.slice(2);
const hasWorkspace = extra.includes('--workspace');
const args = hasWorkspace ? extra : [...extra, '--workspace', defaultWorkspace()];

function electronBinary() {
  try {
    // In plain Node, the electron package exports the binary's path, and throws when it is missing.
    return require('electron');
  } catch {
    return null;
  }
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

const binary = electronBinary();
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (binary && !headless) {
  run(binary, ['.', ...args]);
} else {
  const why = binary ? 'no display found' : 'the Electron binary is not installed';
  console.log(`attention-studio: ${why}; starting browser mode instead.`);
  run(process.execPath, ['bin/attention-studio.js', 'serve', ...args]);
}
