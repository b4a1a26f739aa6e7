/**
 * Retraining in the background as labels arrive. When it is on, every `everyLabels` images labelled
 * beyond the latest run's snapshot start a run with the latest completed run's recipe (or a small
 * default before there is one); a completed run predicts the unlabelled images (services/labelling.ts),
 * so suggestions and the "Label next" order follow the labels. One run at a time: while any run is
 * queued, training or paused, the count waits, and the check runs again when that run ends.
 */
import type { BackgroundRetrainStatus } from '../../common/contract/labelling.js';
import { runConfigSchema, type RunConfig } from '../../common/contract/runs.js';
import type { EventHub } from '../events.js';
import type { Db } from '../storage/db.js';
import { listRunRows, snapshotClasses, type RunRow } from '../storage/runs.js';
import { readSetting, writeSetting } from '../storage/settings.js';
import { snapshotSize, trainableImageCount } from '../storage/suggestions.js';
import type { RunManager } from '../training/runManager.js';

export const RETRAIN_SETTING = 'backgroundRetrain';

interface RetrainSetting {
  enabled: boolean;
  everyLabels: number;
  /** The latest run this started, to say which run is the background one. */
  runId: number | null;
}

const defaults: RetrainSetting = { enabled: false, everyLabels: 25, runId: null };

/** Before any run has completed: a small, fast recipe (a few minutes at most on a CPU). */
export const firstRetrainConfig: RunConfig = runConfigSchema.parse({ model: 'lite-16', imageSize: 32, epochs: 10, batchSize: 32, learningRate: 0.05, maxMinutes: 5 });

const active = new Set(['queued', 'running', 'paused']);

/** Labels settle for this long before a check: a burst of edits starts one run, not several. */
const SETTLE_MS = 1500;

export class BackgroundRetrainer {
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;
  private lastMessage = '';

  constructor(
    private readonly db: Db,
    private readonly manager: RunManager,
    private readonly events: EventHub,
    /** False once another workspace is open: events are the studio's, not this workspace's. */
    private readonly isCurrent: () => boolean,
  ) {
    this.unsubscribe = events.subscribe((event, payload) => {
      if (!this.isCurrent()) return;
      if (event === 'dataset.changed') this.schedule();
      else if (event === 'run.status' && !active.has((payload as { status: string }).status)) this.schedule();
    });
  }

  private setting(): RetrainSetting {
    return { ...defaults, ...readSetting<Partial<RetrainSetting>>(this.db, RETRAIN_SETTING, {}) };
  }

  /** Labelled images beyond the snapshot of the latest run that did not fail (`runs`: newest first). */
  private newLabels(runs: RunRow[]): number {
    const latest = runs.find((r) => r.status !== 'failed');
    return Math.max(0, trainableImageCount(this.db) - (latest ? snapshotSize(this.db, latest.id) : 0));
  }

  status(): BackgroundRetrainStatus {
    const setting = this.setting();
    const runs = listRunRows(this.db);
    const newLabels = this.newLabels(runs);
    const busy = runs.find((r) => active.has(r.status));
    const mine = setting.runId !== null && busy?.id === setting.runId ? setting.runId : null;
    let message: string;
    if (!setting.enabled) message = 'Off: runs start only when you start them';
    else if (mine !== null) message = `Run ${mine} is retraining on the new labels; its suggestions replace these when it completes`;
    else if (busy) message = `Waiting for run ${busy.id} to finish (${newLabels} new label${newLabels === 1 ? '' : 's'})`;
    else if (this.lastMessage) message = this.lastMessage;
    else message = `${newLabels} of ${setting.everyLabels} new labels before the next run`;
    return { enabled: setting.enabled, everyLabels: setting.everyLabels, newLabels, runId: mine, message };
  }

  configure(args: { enabled: boolean; everyLabels: number }): BackgroundRetrainStatus {
    writeSetting(this.db, RETRAIN_SETTING, { ...this.setting(), enabled: args.enabled, everyLabels: args.everyLabels });
    this.lastMessage = '';
    this.check();
    return this.status();
  }

  /** Starts a run if it is on, no run is active, and enough labels have arrived. */
  check(): void {
    const setting = this.setting();
    if (!setting.enabled) return this.announce();
    const runs = listRunRows(this.db);
    if (runs.some((r) => active.has(r.status))) return this.announce();
    const newLabels = this.newLabels(runs);
    if (newLabels < setting.everyLabels) {
      this.lastMessage = '';
      return this.announce();
    }
    const template = runs.find((r) => r.status === 'completed');
    // The recipe of the latest completed run, so the model the suggestions come from stays the same kind.
    const config: RunConfig = template ? { ...template.config } : firstRetrainConfig;
    // What would make the run fail at once, said here instead of leaving a failed run behind.
    const classes = snapshotClasses(this.db).length;
    const train = trainableImageCount(this.db, 'train');
    if (classes < 2) {
      this.lastMessage = `Not started: training needs at least two classes with labelled images (${classes} now)`;
      return this.announce();
    }
    if (train < config.batchSize) {
      this.lastMessage = `Not started: ${train} labelled training images, fewer than one batch of ${config.batchSize}`;
      return this.announce();
    }
    try {
      const run = this.manager.create(config, `Background retrain (+${newLabels} labels)`);
      writeSetting(this.db, RETRAIN_SETTING, { ...setting, runId: run.id });
      this.lastMessage = '';
    } catch (error) {
      // Anything else the run manager refuses: say so, and try again when labels change.
      this.lastMessage = `Not started: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.announce();
  }

  private announce(): void {
    this.events.emit('labelling.retrain', this.status());
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.isCurrent()) return;
      try {
        this.check();
      } catch {
        // A closed workspace between the edit and the check: nothing to retrain.
      }
    }, SETTLE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe();
  }
}
