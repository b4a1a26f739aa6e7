/**
 * The one contract between the renderer (or any client) and the main process. Every call and every
 * pushed event is declared here; the Electron IPC handlers, the browser-mode WebSocket server and the
 * renderer's client are all typed from these maps, so renaming a method breaks both sides at compile time.
 */
import type { z } from 'zod';
import { appMethods } from './app.js';
import { workspaceMethods } from './workspace.js';
import { datasetMethods } from './dataset.js';
import { runMethods } from './runs.js';
import { tryMethods } from './tryModel.js';
import { labellingMethods } from './labelling.js';
import type { StudioEvents } from './events.js';

export * from './app.js';
export * from './workspace.js';
export * from './dataset.js';
export * from './runs.js';
export * from './tryModel.js';
export * from './labelling.js';
export * from './events.js';
export * from '../channels.js';

export const methods = {
  ...appMethods,
  ...workspaceMethods,
  ...datasetMethods,
  ...runMethods,
  ...tryMethods,
  ...labellingMethods,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodArgs<M extends MethodName> = z.input<Methods[M]['args']>;
export type ParsedArgs<M extends MethodName> = z.output<Methods[M]['args']>;
export type MethodResult<M extends MethodName> = Exclude<Methods[M]['result'], undefined>;
export type EventName = keyof StudioEvents;


export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

export type { StudioEvents };
