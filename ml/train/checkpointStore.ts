/**
 * A run's checkpoints: one folder per saved step (`step-000000123`) under a root, newest wins, the last
 * `keep` kept. Each version goes to a new name, so publishing is a single atomic rename and a crash at
 * any moment leaves every earlier checkpoint intact; no "latest" pointer file can disagree with disk.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { disposeOptimizerState, loadCheckpoint, writeCheckpoint, type CheckpointMetadata, type CheckpointSource, type LoadedCheckpoint } from './checkpoint.js';

const NAME = /^step-(\d+)$/;

export interface StoredCheckpoint {
  path: string;
  step: number;
}

export class CheckpointStore {
  /** `keep`: how many of the newest checkpoints survive each save; default 2. */
  constructor(
    readonly root: string,
    readonly keep = 2,
  ) {
    if (!(keep >= 1)) throw new Error('A checkpoint store must keep at least one checkpoint.');
  }

  /** Saves at the source's current step and prunes older checkpoints; returns the new folder. */
  async save(source: CheckpointSource, metadata?: CheckpointMetadata): Promise<string> {
    const path = await this.saveOnly(source, metadata);
    await this.prune();
    return path;
  }

  /** Oldest first. */
  async list(): Promise<StoredCheckpoint[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => ({ name, match: NAME.exec(name) }))
      .filter((e) => e.match !== null)
      .map((e) => ({ path: join(this.root, e.name), step: Number(e.match![1]) }))
      .sort((a, b) => a.step - b.step);
  }

  async latest(): Promise<StoredCheckpoint | null> {
    return (await this.list()).at(-1) ?? null;
  }

  async loadLatest(): Promise<LoadedCheckpoint | null> {
    const latest = await this.latest();
    return latest ? loadCheckpoint(latest.path) : null;
  }

  private async saveOnly(source: CheckpointSource, metadata?: CheckpointMetadata): Promise<string> {
    const snapshot = source.snapshot();
    try {
      const path = join(this.root, `step-${String(snapshot.position.step).padStart(9, '0')}`);
      await writeCheckpoint(path, source.model, snapshot, metadata);
      return path;
    } finally {
      disposeOptimizerState(snapshot.optimizer);
    }
  }

  /** Also removes temporaries a crashed save left behind (names starting with a dot). */
  private async prune(): Promise<void> {
    const stored = await this.list();
    for (const old of stored.slice(0, Math.max(0, stored.length - this.keep))) await rm(old.path, { recursive: true, force: true });
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.step-')) await rm(join(this.root, name), { recursive: true, force: true });
    }
  }
}
