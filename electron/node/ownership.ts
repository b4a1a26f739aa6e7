/**
 * Which process holds a run or an import of a shared workspace, and noticing when it is gone.
 *
 * A process that trains or imports registers an owner (storage/owners.ts) and writes a heartbeat every
 * few seconds from its main thread, which stays free while the heavy work runs in worker threads and on
 * libuv's pool. Another process treats that owner as gone when the process no longer exists (same host:
 * kill -9, a crash, a power cut) or when it has not written a heartbeat for STALE_AFTER_MS (another host
 * sharing the folder, a reused pid, a hung process). Only then are its runs and imports marked
 * interrupted, and only then may someone else resume them.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db } from './storage/db.js';
import { beatOwner, getOwner, hasOwnerless, interruptOwnerless, listOwners, registerOwner, releaseOwner, type Interrupted, type OwnerRow } from './storage/owners.js';

/** How often a live owner writes its heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** Silence after which an owner is gone even when its pid exists (a reused pid, another host, a hang). */
export const STALE_AFTER_MS = 60_000;

export interface LeaseTiming {
  heartbeatMs?: number;
  staleAfterMs?: number;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process behind an owner row is gone, as far as this process can tell. */
export function ownerGone(owner: OwnerRow, now: number, staleAfterMs = STALE_AFTER_MS): boolean {
  if (owner.host === os.hostname()) {
    // This process is alive; its owners hand back what they hold when they close.
    if (owner.pid === process.pid) return false;
    if (!processExists(owner.pid)) return true;
  }
  return now - owner.heartbeatAt > staleAfterMs;
}

/** One line for messages: who holds it and when it was last heard from. */
export function describeOwner(owner: OwnerRow, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - owner.heartbeatAt) / 1000));
  const where = owner.host === os.hostname() ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
  return `${where}, last heard from ${seconds} s ago`;
}

/**
 * Marks as interrupted the runs and imports whose owner is gone (and any left active without an owner
 * by an older version). Cheap when nothing is gone: one read, no write lock.
 */
export function reapAbandoned(db: Db, staleAfterMs = STALE_AFTER_MS): Interrupted {
  const gone = () => listOwners(db).filter((owner) => ownerGone(owner, Date.now(), staleAfterMs));
  if (gone().length === 0 && !hasOwnerless(db)) return { runs: [], imports: [] };
  return db.transaction(() => {
    // Again under the write lock: the owner may have written a heartbeat, or another process reaped it.
    const result: Interrupted = { runs: [], imports: [] };
    const now = Date.now();
    for (const owner of gone()) {
      const released = releaseOwner(db, owner.id, now);
      result.runs.push(...released.runs);
      result.imports.push(...released.imports);
    }
    const ownerless = interruptOwnerless(db, now);
    result.runs.push(...ownerless.runs);
    result.imports.push(...ownerless.imports);
    return result;
  }).immediate();
}

/**
 * One owner in this process: registered on first use, kept alive by a heartbeat until released.
 * `onLost` runs when another process found it stale and handed back what it held: stop working on it.
 */
export class WorkspaceOwner {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID()}`;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly options: LeaseTiming & { onLost?: () => void } = {},
  ) {}

  /** Registers this owner when it is not yet (or no longer) registered; returns its id. */
  register(): string {
    if (this.timer) return this.id;
    const now = Date.now();
    registerOwner(this.db, { id: this.id, host: os.hostname(), pid: process.pid, startedAt: now, heartbeatAt: now });
    this.timer = setInterval(() => this.beat(), this.options.heartbeatMs ?? HEARTBEAT_MS);
    // A heartbeat must not keep a finished CLI command alive.
    this.timer.unref();
    return this.id;
  }

  /** Hands back everything still held (active runs and imports become interrupted) and stops the heartbeat. */
  release(): Interrupted {
    if (!this.timer) return { runs: [], imports: [] };
    this.stop();
    return this.db.transaction(() => releaseOwner(this.db, this.id, Date.now())).immediate();
  }

  /** The stored row (null when not registered, or taken away). */
  row(): OwnerRow | null {
    return getOwner(this.db, this.id) ?? null;
  }

  private beat(): void {
    let alive: boolean;
    try {
      alive = beatOwner(this.db, this.id, Date.now());
    } catch {
      return; // the database is busy or closing: the next beat tries again
    }
    if (!alive) {
      this.stop();
      this.options.onLost?.();
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
