// The sandboxed preload must be a single CommonJS file: bundle it (with the contract constants it uses).
import { build } from 'esbuild';

await build({
  entryPoints: ['electron/preload/preload.ts'],
  outfile: 'dist/electron/preload/preload.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  logLevel: 'warning',
});
