import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventHub } from '../events.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createHandlers, type ServiceContext } from './index.js';

let home: string;
let ctx: ServiceContext;
let call: (method: string, args: unknown) => Promise<unknown>;
const saved = process.env.ATTENTION_STUDIO_HOME;

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'studio-home-'));
  process.env.ATTENTION_STUDIO_HOME = home;
  ctx = { mode: 'browser', workspace: null, events: new EventHub() };
  call = createDispatcher(createHandlers(ctx));
});
afterEach(() => {
  if (saved === undefined) delete process.env.ATTENTION_STUDIO_HOME;
  else process.env.ATTENTION_STUDIO_HOME = saved;
});

describe('workspaces', () => {
  it('creates, opens and remembers workspaces, newest first, and announces the change', async () => {
    const changes: unknown[] = [];
    ctx.events.subscribe((event, payload) => event === 'workspace.changed' && changes.push(payload));
    const first = path.join(home, 'projects', 'flowers');
    const second = path.join(home, 'projects', 'digits');
    await expect(call('openWorkspace', { path: first })).rejects.toMatchObject({ code: 'not_found', field: 'path' });
    expect(await call('openWorkspace', { path: first, create: true })).toEqual({ path: first, name: 'flowers' });
    await call('openWorkspace', { path: second, create: true });
    await call('openWorkspace', { path: first });
    expect(ctx.workspace).toBe(first);
    expect(await call('currentWorkspace', {})).toEqual({ path: first, name: 'flowers' });
    const recent = (await call('recentWorkspaces', {})) as { path: string; exists: boolean }[];
    expect(recent.map((r) => r.path)).toEqual([first, second]);
    expect(recent.every((r) => r.exists)).toBe(true);
    expect(changes).toHaveLength(3);
  });

  it('refuses a file as a workspace and an empty path, naming the field', async () => {
    const file = path.join(home, 'notes.txt');
    writeFileSync(file, 'x');
    await expect(call('openWorkspace', { path: file })).rejects.toMatchObject({ code: 'invalid_argument', field: 'path' });
    await expect(call('openWorkspace', { path: '   ' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'path' });
    expect(ctx.workspace).toBeNull();
  });

  it('survives a damaged recent-workspaces file', async () => {
    writeFileSync(path.join(home, 'recent-workspaces.json'), '{ not json');
    expect(await call('recentWorkspaces', {})).toEqual([]);
    await call('openWorkspace', { path: path.join(home, 'w'), create: true });
    expect(((await call('recentWorkspaces', {})) as unknown[]).length).toBe(1);
  });
});
