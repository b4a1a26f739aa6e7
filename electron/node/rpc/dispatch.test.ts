import { describe, expect, it } from 'vitest';
import { StudioError } from '../../common/errors.js';
import { EventHub } from '../events.js';
import { createHandlers } from '../services/index.js';
import { createDispatcher, respond, type Handlers } from './dispatch.js';

const handlers = createHandlers({ mode: 'cli', workspace: null, events: new EventHub() });

describe('contract dispatcher', () => {
  const dispatch = createDispatcher(handlers);

  it('answers a valid call with the handler result', async () => {
    const response = await respond(dispatch, 7, 'info', { probeBackends: false });
    expect(response.id).toBe(7);
    expect(response.ok).toBe(true);
    if (response.ok) expect((response.result as { name: string }).name).toBe('Attention Studio');
  });

  it.each([
    ['a wrong type', { probeBackends: 'yes' }, 'probeBackends'],
    ['an unknown field', { probeBackends: false, extra: 1 }, '(arguments)'],
    ['a non-object', 42, '(arguments)'],
    ['null', null, '(arguments)'],
  ])('refuses %s with a typed invalid_argument error naming the field', async (_label, args, field) => {
    const response = await respond(dispatch, 1, 'info', args);
    expect(response.ok).toBe(false);
    if (!response.ok) {
      expect(response.error.code).toBe('invalid_argument');
      expect(response.error.field).toBe(field);
      expect(response.error.message).toContain('info:');
    }
  });

  it.each([['noSuchMethod'], [42], [undefined], ['__proto__'], ['toString']])('refuses unknown method %s', async (name) => {
    const response = await respond(dispatch, 2, name, {});
    expect(response).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  it('turns a handler crash into an internal error and a StudioError into its own code', async () => {
    const crashing = { ...handlers, info: () => { throw new TypeError('boom'); } } as unknown as Handlers;
    expect(await respond(createDispatcher(crashing), 3, 'info', {})).toMatchObject({ ok: false, error: { code: 'internal', message: 'boom' } });
    const refusing = { ...handlers, info: () => { throw new StudioError('not_found', 'no such workspace'); } } as unknown as Handlers;
    expect(await respond(createDispatcher(refusing), 4, 'info', {})).toMatchObject({ ok: false, error: { code: 'not_found', message: 'no such workspace' } });
  });
});
