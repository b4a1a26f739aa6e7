/** "Find label issues" jobs: their frozen images and folds, out-of-sample probabilities and ranked issues. */
import type { LabelIssueJobConfig, LabelIssueJobStatus } from '../../common/contract/labelling.js';
import type { Db } from './db.js';
import { statement } from './statements.js';

export interface LabelIssueJobRow {
  id: number;
  createdAt: number;
  status: LabelIssueJobStatus;
  config: LabelIssueJobConfig;
  classNames: string[];
  foldsDone: number;
  startedAt: number | null;
  finishedAt: number | null;
  etaSeconds: number | null;
  heartbeatAt: number | null;
  detail: string | null;
  accuracy: number | null;
  error: string | null;
}

interface RawJob {
  id: number;
  created_at: number;
  status: LabelIssueJobStatus;
  config: string;
  class_names: string;
  folds_done: number;
  started_at: number | null;
  finished_at: number | null;
  eta_seconds: number | null;
  heartbeat_at: number | null;
  detail: string | null;
  accuracy: number | null;
  error: string | null;
}

function toJob(raw: RawJob): LabelIssueJobRow {
  return {
    id: raw.id,
    createdAt: raw.created_at,
    status: raw.status,
    config: JSON.parse(raw.config) as LabelIssueJobConfig,
    classNames: JSON.parse(raw.class_names) as string[],
    foldsDone: raw.folds_done,
    startedAt: raw.started_at,
    finishedAt: raw.finished_at,
    etaSeconds: raw.eta_seconds,
    heartbeatAt: raw.heartbeat_at,
    detail: raw.detail,
    accuracy: raw.accuracy,
    error: raw.error,
  };
}

export interface JobImage {
  imageId: number;
  classIndex: number;
  fold: number;
}

/** Creates the job with its frozen images (each with its class index and fold) in one transaction. */
export function createLabelIssueJob(db: Db, config: LabelIssueJobConfig, classNames: string[], images: readonly JobImage[]): number {
  return db.transaction(() => {
    const id = Number(
      statement(db, `INSERT INTO label_issue_jobs(created_at, status, config, class_names) VALUES (?, 'queued', ?, ?)`).run(
        Date.now(), JSON.stringify(config), JSON.stringify(classNames),
      ).lastInsertRowid,
    );
    const insert = statement(db, 'INSERT INTO label_issue_images(job_id, image_id, class_index, fold) VALUES (?, ?, ?, ?)');
    for (const image of images) insert.run(id, image.imageId, image.classIndex, image.fold);
    return id;
  })();
}

export function getLabelIssueJob(db: Db, jobId: number): LabelIssueJobRow | undefined {
  const raw = statement<[number], RawJob>(db, 'SELECT * FROM label_issue_jobs WHERE id = ?').get(jobId);
  return raw ? toJob(raw) : undefined;
}

export function listLabelIssueJobs(db: Db): LabelIssueJobRow[] {
  return statement<[], RawJob>(db, 'SELECT * FROM label_issue_jobs ORDER BY id DESC').all().map(toJob);
}

const columns = {
  status: 'status', foldsDone: 'folds_done', startedAt: 'started_at', finishedAt: 'finished_at', etaSeconds: 'eta_seconds',
  heartbeatAt: 'heartbeat_at', detail: 'detail', accuracy: 'accuracy', error: 'error', config: 'config',
} as const;

export function updateLabelIssueJob(db: Db, jobId: number, fields: Partial<Pick<LabelIssueJobRow, keyof typeof columns>>): void {
  const entries = Object.entries(fields).filter(([key]) => key in columns);
  if (entries.length === 0) return;
  const sql = `UPDATE label_issue_jobs SET ${entries.map(([key]) => `${columns[key as keyof typeof columns]} = ?`).join(', ')} WHERE id = ?`;
  const values = entries.map(([key, value]) => (key === 'config' ? JSON.stringify(value) : (value as number | string | null)));
  statement(db, sql).run(...values, jobId);
}

export function jobImages(db: Db, jobId: number, fold?: number): JobImage[] {
  const rows = fold === undefined
    ? statement<[number], { image_id: number; class_index: number; fold: number }>(db, 'SELECT image_id, class_index, fold FROM label_issue_images WHERE job_id = ? ORDER BY image_id').all(jobId)
    : statement<[number, number], { image_id: number; class_index: number; fold: number }>(
      db, 'SELECT image_id, class_index, fold FROM label_issue_images WHERE job_id = ? AND fold = ? ORDER BY image_id',
    ).all(jobId, fold);
  return rows.map((r) => ({ imageId: r.image_id, classIndex: r.class_index, fold: r.fold }));
}

/** Folds whose images all have out-of-sample probabilities. */
export function finishedFolds(db: Db, jobId: number): Set<number> {
  const rows = statement<[number], { fold: number; missing: number }>(
    db, 'SELECT fold, sum(probabilities IS NULL) AS missing FROM label_issue_images WHERE job_id = ? GROUP BY fold',
  ).all(jobId);
  return new Set(rows.filter((r) => r.missing === 0).map((r) => r.fold));
}

export function storeFoldProbabilities(db: Db, jobId: number, rows: readonly { imageId: number; probabilities: Float32Array }[]): void {
  const update = statement(db, 'UPDATE label_issue_images SET probabilities = ? WHERE job_id = ? AND image_id = ?');
  db.transaction(() => {
    for (const row of rows) update.run(Buffer.from(row.probabilities.buffer, row.probabilities.byteOffset, row.probabilities.byteLength), jobId, row.imageId);
  })();
}

export function outOfSampleProbabilities(db: Db, jobId: number): { imageId: number; classIndex: number; probabilities: Float32Array }[] {
  return statement<[number], { image_id: number; class_index: number; probabilities: Buffer }>(
    db, 'SELECT image_id, class_index, probabilities FROM label_issue_images WHERE job_id = ? AND probabilities IS NOT NULL ORDER BY image_id',
  ).all(jobId).map((r) => {
    const copy = new Uint8Array(r.probabilities);
    return { imageId: r.image_id, classIndex: r.class_index, probabilities: new Float32Array(copy.buffer, 0, copy.byteLength / 4) };
  });
}

export interface StoredLabelIssue {
  rank: number;
  imageId: number;
  given: number;
  suggested: number;
  score: number;
  selfConfidence: number;
  suggestedProbability: number;
}

export function storeLabelIssues(db: Db, jobId: number, issues: readonly Omit<StoredLabelIssue, 'rank'>[]): void {
  db.transaction(() => {
    statement(db, 'DELETE FROM label_issues WHERE job_id = ?').run(jobId);
    const insert = statement(db, 'INSERT INTO label_issues(job_id, rank, image_id, given, suggested, score, self_confidence, suggested_probability) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    issues.forEach((issue, rank) => insert.run(jobId, rank, issue.imageId, issue.given, issue.suggested, issue.score, issue.selfConfidence, issue.suggestedProbability));
  })();
}

export interface LabelIssueWithImage extends StoredLabelIssue {
  fileName: string;
  sourcePath: string;
  /** The image's label now (a class id), which may differ from `given` once the issue was acted on. */
  currentClassId: number | null;
}

export function storedLabelIssues(db: Db, jobId: number, limit: number): LabelIssueWithImage[] {
  return statement<[number, number], { rank: number; image_id: number; given: number; suggested: number; score: number; self_confidence: number; suggested_probability: number; file_name: string; source_path: string; class_id: number | null }>(
    db,
    `SELECT l.rank, l.image_id, l.given, l.suggested, l.score, l.self_confidence, l.suggested_probability, i.file_name, i.source_path, i.class_id
     FROM label_issues l JOIN images i ON i.id = l.image_id WHERE l.job_id = ? ORDER BY l.rank LIMIT ?`,
  ).all(jobId, limit).map((r) => ({
    rank: r.rank, imageId: r.image_id, given: r.given, suggested: r.suggested, score: r.score, selfConfidence: r.self_confidence,
    suggestedProbability: r.suggested_probability, fileName: r.file_name, sourcePath: r.source_path, currentClassId: r.class_id,
  }));
}
