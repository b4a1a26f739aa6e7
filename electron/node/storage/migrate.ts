/**
 * The migration runner. The schema version lives in `PRAGMA user_version`, which SQLite writes in the
 * same transaction as the step itself: a crash mid-migration leaves the previous version, intact.
 */
import type { Database } from 'better-sqlite3';
import { StudioError } from '../../common/errors.js';
import { migrations as registered, type Migration } from './migrations/index.js';

/** Refuses a list that is out of order or has a repeated version: a merge mistake, caught at start-up. */
export function checkMigrationOrder(list: readonly Migration[]): void {
  let previous = 0;
  for (const step of list) {
    if (!Number.isInteger(step.version) || step.version <= previous) {
      throw new Error(
        `Migration list out of order: ${String(step.version).padStart(4, '0')}-${step.name} comes after version ${previous}`,
      );
    }
    previous = step.version;
  }
}

export function latestVersion(list: readonly Migration[] = registered): number {
  return list.length === 0 ? 0 : list[list.length - 1].version;
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to `target` (default: the newest step). `label` names the file in errors.
 * Returns the versions applied.
 *
 * Several processes may open a new workspace at once (the studio and a CLI import, or two imports):
 * each step runs in its own BEGIN IMMEDIATE transaction and reads the version again inside it, so a
 * step another process has just applied is never applied twice.
 */
export function migrate(
  db: Database,
  options: { target?: number; label?: string; list?: readonly Migration[] } = {},
): number[] {
  const list = options.list ?? registered;
  checkMigrationOrder(list);
  const newest = latestVersion(list);
  const target = options.target ?? newest;
  const label = options.label ?? 'The workspace database';
  const pendingAfter = (version: number) => list.find((step) => step.version > version && step.version <= target);
  // Up to date (every open but the first): no write lock needed.
  const seen = schemaVersion(db);
  checkKnownVersion(seen, newest, list, label);
  if (!pendingAfter(seen)) return [];
  const applyNextStep = db.transaction((): number | null => {
    const current = schemaVersion(db);
    checkKnownVersion(current, newest, list, label);
    const step = pendingAfter(current);
    if (!step) return null;
    step.up(db);
    db.pragma(`user_version = ${step.version}`);
    return step.version;
  });
  const applied: number[] = [];
  for (let version = applyNextStep.immediate(); version !== null; version = applyNextStep.immediate()) applied.push(version);
  return applied;
}

function checkKnownVersion(current: number, newest: number, list: readonly Migration[], label: string): void {
  if (current > newest) {
    throw new StudioError(
      'conflict',
      `${label} was written by a newer Attention Studio (schema version ${current}; ` +
        `this version knows up to ${newest}). Open it with the newer version, or choose another workspace folder.`,
    );
  }
  if (current !== 0 && !list.some((step) => step.version === current)) {
    throw new StudioError('conflict', `${label} has schema version ${current}, which this version of Attention Studio never wrote.`);
  }
}
