#!/usr/bin/env node
// The CLI runs from the compiled output; `npm ci` builds it (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/electron/node/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('attention-studio: not built yet; run `npm run build` in the package folder first');
  process.exit(1);
}
await import(entry.href);
