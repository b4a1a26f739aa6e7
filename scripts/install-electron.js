// Fetches Electron's binary where the network allows it. Installing must never fail because of it:
// without the binary, `npm start` runs the studio in browser mode instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function electronInstallScript() {
  try {
    return path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return null; // production install without devDependencies
  }
}

const script = electronInstallScript();
if (script && existsSync(script) && process.env.ELECTRON_SKIP_BINARY_DOWNLOAD !== '1') {
  const result = spawnSync(process.execPath, [script], { stdio: 'pipe', timeout: 180_000 });
  if (result.status !== 0) {
    console.log('attention-studio: the Electron binary could not be installed; `npm start` will use browser mode.');
  }
} else if (script) {
  console.log('attention-studio: Electron binary download skipped; `npm start` will use browser mode.');
}
