import { describe, expect, it } from 'vitest';
import { EventHub } from '../node/events.js';
import { createDispatcher } from '../node/rpc/dispatch.js';
import { createHandlers } from '../node/services/index.js';
import { createCallHandler, createPickFolderHandler } from './ipc.js';

const index = 'file:///opt/Attention%20Studio/resources/app.asar/dist/renderer/index.html';
const handle = createCallHandler(createDispatcher(createHandlers({ mode: 'electron', workspace: null, events: new EventHub() })), index);
const topFrame = { url: `${index}#/runs`, parent: null };

describe('Electron IPC transport', () => {
  it('answers the studio window', async () => {
    expect(await handle({ senderFrame: topFrame }, { id: 5, method: 'info', args: { probeBackends: false } })).toMatchObject({ id: 5, ok: true });
  });

  it.each([
    ['another page', { url: 'https://example.com/', parent: null }],
    ['a sub-frame of the studio page', { url: index, parent: { url: index } }],
    ['a destroyed frame', null],
  ])('refuses calls from %s', async (_label, frame) => {
    const response = await handle({ senderFrame: frame as never }, { id: 1, method: 'info', args: {} });
    expect(response).toMatchObject({ ok: false, error: { code: 'invalid_argument', field: '(sender)' } });
  });

  it.each([[undefined], ['info'], [{ id: 2, method: 'info', args: { probeBackends: 'no' } }], [{ id: 3, method: 'rm -rf', args: {} }]])(
    'answers a malformed request %j with a typed error',
    async (request) => {
      const response = await handle({ senderFrame: topFrame }, request);
      expect(response.ok).toBe(false);
    },
  );
});

describe('native folder picker', () => {
  it('opens the dialog for the studio window only, and maps cancel to null', async () => {
    let opened = 0;
    const choose = (result: { canceled: boolean; filePaths: string[] }) =>
      createPickFolderHandler(async () => {
        opened++;
        return result;
      }, index);
    expect(await choose({ canceled: false, filePaths: ['/data/flowers'] })({ senderFrame: topFrame })).toBe('/data/flowers');
    expect(await choose({ canceled: true, filePaths: [] })({ senderFrame: topFrame })).toBeNull();
    expect(await choose({ canceled: false, filePaths: ['/etc'] })({ senderFrame: { url: 'https://example.com/', parent: null } })).toBeNull();
    expect(opened).toBe(2);
  });
});
