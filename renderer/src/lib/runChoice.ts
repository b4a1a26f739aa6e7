/**
 * Which run the Inspect view shows. The Training view points navStore.runId at the run it shows,
 * often one still in its first epoch: that run has no checkpoint to evaluate, so Inspect keeps to runs
 * with at least one finished epoch instead of following it to a run it cannot list or evaluate.
 */
import type { RunSummary } from '../../../electron/common/contract/index.js';

/** Runs with a checkpoint (one finished epoch), as the Inspect view lists them. */
export function inspectableRuns(runs: readonly RunSummary[]): RunSummary[] {
  return runs.filter((run) => run.epochsDone > 0);
}

/**
 * The run to inspect: the one asked for (the last run chosen in any view) when it can be inspected,
 * else the one already shown when it still can, else the newest that can; null when none can.
 */
export function runToInspect(runs: readonly RunSummary[], wanted: number | null, shown: number | null): number | null {
  const ids = new Set(inspectableRuns(runs).map((run) => run.id));
  if (wanted !== null && ids.has(wanted)) return wanted;
  if (shown !== null && ids.has(shown)) return shown;
  return inspectableRuns(runs)[0]?.id ?? null;
}
