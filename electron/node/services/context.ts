import type { EventHub } from '../events.js';
import type { BackendName } from '../../../ml/engine/backends.js';

/** What every service needs to know about the process it runs in. */
export interface ServiceContext {
  mode: 'electron' | 'browser' | 'cli';
  /** The open studio workspace folder, if any. */
  workspace: string | null;
  events: EventHub;
  /** A backend the user forced (`--backend`, or the ATTENTION_STUDIO_BACKEND variable). */
  forcedBackend?: BackendName;
  electronVersion?: string;
  /** WASM threads for training and inference workers (default: the backend's choice). */
  threads?: number;
}
