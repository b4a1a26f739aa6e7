/** A tiny typed event hub: services emit contract events, transports forward them to clients. */
import type { EventName, StudioEvents } from '../common/contract/index.js';

export type EventListener = <E extends EventName>(event: E, payload: StudioEvents[E]) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: StudioEvents[E]): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // A broken transport must not stop events reaching the others.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
