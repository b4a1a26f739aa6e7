// Lint rules, chiefly the runtime boundaries of ../STYLE (VS Code / Signal style): each folder may only
// import what can run where that folder's code runs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Bare module names are matched exactly; the globs below match import paths (relative ones included).
const electronMain = ['electron', 'electron/main'];
const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url'];
const nativeModules = ['better-sqlite3', 'sharp'];

// The packaged app's fuses ignore ELECTRON_RUN_AS_NODE, so child_process.fork (which relies on it)
// would start a second copy of the app, not Node: code that runs in the app uses worker_threads.
const forkMessage = 'Electron cannot run as Node in the packaged app (fuse): use worker_threads, not fork.';
const noFork = ['child_process', 'node:child_process'].map((name) => ({ name, importNames: ['fork'], message: forkMessage }));

function restrict(entries, message, extraPaths = []) {
  const names = entries.filter((e) => !e.includes('*'));
  const globs = entries.filter((e) => e.includes('*'));
  return {
    'no-restricted-imports': [
      'error',
      { paths: [...names.map((name) => ({ name, message })), ...extraPaths], patterns: globs.length ? [{ group: globs, message }] : [] },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'out/**', 'e2e/screenshots/**', 'test-results/**', 'playwright-report/**', '**/*.svelte'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['electron/common/**/*.ts'],
    rules: restrict([...electronMain, ...nodeBuiltins, 'node:*', '**/node/**', '**/main/**', '**/ml/**', ...nativeModules],
      'electron/common is plain TypeScript shared by every runtime: no Node, Electron, storage or ml imports.'),
  },
  {
    files: ['electron/node/**/*.ts'],
    rules: restrict([...electronMain, '**/main/**', '**/preload/**'],
      'electron/node must run without Electron (the CLI and the tests reuse it): no electron imports.', noFork),
  },
  {
    files: ['electron/main/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: noFork }] },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "Literal[value='ELECTRON_RUN_AS_NODE'], Identifier[name='ELECTRON_RUN_AS_NODE']", message: forkMessage },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: restrict(['electron/main', '**/node/**', '**/main/**', '**/ml/**', ...nativeModules, ...nodeBuiltins, 'node:*'],
      'The preload only bridges the contract: it may use contextBridge/ipcRenderer and electron/common.'),
  },
  {
    files: ['ml/**/*.ts'],
    rules: restrict([...electronMain, '**/electron/**', 'better-sqlite3', '**/storage/**'],
      'ml/ is a pure library: it imports neither Electron nor the database.'),
  },
  {
    files: ['renderer/src/**/*.ts'],
    rules: restrict([...electronMain, ...nodeBuiltins, 'node:*', '**/electron/node/**', '**/electron/main/**', '**/electron/preload/**', '**/ml/**', ...nativeModules],
      'The renderer reaches the main process only through the contract (renderer/src/lib/api.ts).'),
  },
);
