import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The runtime boundaries are a lint rule; this proves the rule bites where STYLE.md says it must.
const eslint = new ESLint();

async function restrictedImportErrors(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
}

describe('import boundaries', () => {
  it.each([
    ['ml/model/x.ts', "import { app } from 'electron';"],
    ['ml/train/x.ts', "import Database from 'better-sqlite3';"],
    ['ml/train/x.ts', "import { openDb } from '../../electron/node/storage/db.js';"],
    ['electron/node/x.ts', "import { ipcMain } from 'electron';"],
    ['electron/common/x.ts', "import fs from 'node:fs';"],
    ['renderer/src/lib/x.ts', "import { createHandlers } from '../../../electron/node/services/index.js';"],
    ['electron/preload/x.ts', "import { readFileSync } from 'node:fs';"],
    ['electron/main/x.ts', "import { fork } from 'node:child_process';"],
    ['electron/node/x.ts', "import { fork } from 'child_process';"],
  ])('%s may not %s', async (file, code) => {
    expect(await restrictedImportErrors(file, `${code}\nexport {};\n`)).toBe(1);
  });

  it.each([
    ['electron/main/x.ts', "import { app } from 'electron';"],
    ['electron/node/x.ts', "import Database from 'better-sqlite3';"],
    ['ml/model/x.ts', "import * as tf from '@tensorflow/tfjs';"],
    ['electron/preload/x.ts', "import { contextBridge } from 'electron';"],
    ['electron/node/x.ts', "import { spawn } from 'node:child_process';"],
  ])('%s may %s', async (file, code) => {
    expect(await restrictedImportErrors(file, `${code}\nexport {};\n`)).toBe(0);
  });

  it.each([
    ['electron/main/x.ts', "process.env.ELECTRON_RUN_AS_NODE = '1';"],
    ['electron/node/x.ts', "const env = { ...process.env, ['ELECTRON_RUN_AS_NODE']: '1' };"],
  ])('%s may not start Electron as Node: %s', async (filePath, code) => {
    const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
    expect(result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax')).toHaveLength(1);
  });
});
