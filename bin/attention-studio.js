#!/usr/bin/env node
await import('../dist/electron/node/cli/main.js');
