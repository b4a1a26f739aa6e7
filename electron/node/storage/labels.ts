/**
 * Label and class edits. Each user action is one transaction that writes the change and its history
 * (label_edits + label_changes/class_changes), so undo/redo replays exactly what was done. A new edit
 * drops the redo stack, as in any editor. Imports do not write history: they are not undoable edits.
 */
import type { LabelEditSummary, LabelHistory, LabelState, SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import { classRow, insertClass, requireLiveClass, setClassName } from './classes.js';
import type { Db } from './db.js';
import { rebalanceSplits, refuseIfTestLocked } from './splits.js';
import { statement } from './statements.js';

export type EditKind = 'relabel' | 'state' | 'split' | 'addClass' | 'renameClass' | 'mergeClasses' | 'deleteClass';

interface EditRow {
  id: number;
  kind: EditKind;
  summary: string;
  actor: string;
  created_at: number;
  undone_at: number | null;
}

interface ImageLabel {
  id: number;
  class_id: number | null;
  state: LabelState;
}

function toSummary(row: EditRow): LabelEditSummary {
  return { id: row.id, kind: row.kind, summary: row.summary, actor: row.actor, createdAt: row.created_at, undone: row.undone_at !== null };
}

function beginEdit(db: Db, kind: EditKind, summary: string, actor: string): number {
  // The redo stack goes: redoing an old edit on top of a new one would replay a stale state.
  statement(db, 'DELETE FROM label_edits WHERE undone_at IS NOT NULL').run();
  return Number(
    statement(db, 'INSERT INTO label_edits(kind, summary, actor, created_at) VALUES (?, ?, ?, ?)').run(kind, summary, actor, Date.now())
      .lastInsertRowid,
  );
}

function currentLabels(db: Db, imageIds: readonly number[]): ImageLabel[] {
  const rows = statement<[string], ImageLabel>(
    db,
    'SELECT id, class_id, state FROM images WHERE id IN (SELECT value FROM json_each(?))',
  ).all(JSON.stringify(imageIds));
  if (rows.length !== new Set(imageIds).size) {
    const found = new Set(rows.map((r) => r.id));
    const missing = imageIds.find((id) => !found.has(id));
    throw new StudioError('not_found', `imageIds: no image with id ${missing} in this workspace`, { field: 'imageIds' });
  }
  return rows;
}

/** Applies new labels and records them; returns the changed count and the classes whose members changed. */
function applyLabelChanges(
  db: Db,
  editId: number,
  rows: readonly ImageLabel[],
  next: (row: ImageLabel) => { classId: number | null; state: LabelState },
): { changed: number; touched: Set<number | null> } {
  const record = statement(
    db,
    'INSERT INTO label_changes(edit_id, image_id, old_class_id, new_class_id, old_state, new_state) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const update = statement(db, 'UPDATE images SET class_id = ?, state = ? WHERE id = ?');
  const touched = new Set<number | null>();
  let changed = 0;
  for (const row of rows) {
    const { classId, state } = next(row);
    if (classId === row.class_id && state === row.state) continue;
    record.run(editId, row.id, row.class_id, classId, row.state, state);
    update.run(classId, state, row.id);
    touched.add(row.class_id).add(classId);
    changed++;
  }
  return { changed, touched };
}

function className(db: Db, id: number | null): string {
  return id === null ? 'unlabelled' : (classRow(db, id)?.name ?? `class ${id}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function relabelImages(db: Db, imageIds: readonly number[], classId: number | null, actor = 'user'): { changed: number } {
  return db.transaction(() => {
    if (classId !== null) requireLiveClass(db, classId);
    const rows = currentLabels(db, imageIds);
    const editId = beginEdit(db, 'relabel', `Moved ${plural(rows.length, 'image')} to ${className(db, classId)}`, actor);
    const { changed, touched } = applyLabelChanges(db, editId, rows, (row) => ({ classId, state: row.state }));
    if (changed === 0) statement(db, 'DELETE FROM label_edits WHERE id = ?').run(editId);
    rebalanceSplits(db, touched);
    return { changed };
  }).immediate();
}

export function setLabelState(
  db: Db, imageIds: readonly number[], state: LabelState, actor = 'user', summary?: string,
): { changed: number } {
  return db.transaction(() => {
    const rows = currentLabels(db, imageIds);
    const editId = beginEdit(db, 'state', summary ?? `Marked ${plural(rows.length, 'image')} ${state}`, actor);
    const { changed, touched } = applyLabelChanges(db, editId, rows, (row) => ({ classId: row.class_id, state }));
    if (changed === 0) statement(db, 'DELETE FROM label_edits WHERE id = ?').run(editId);
    // Excluding or re-including changes who takes a place in the split quotas.
    rebalanceSplits(db, touched);
    return { changed };
  }).immediate();
}

interface ImageSplit {
  id: number;
  class_id: number | null;
  split: SplitName;
  split_pinned: 1 | null;
}

const splitWords: Record<SplitName, string> = { train: 'train', val: 'validation', test: 'test' };

/**
 * Puts images in a split by hand (pinned: the ratios no longer move them), or with `split` null hands
 * them back to the ratios, as one undoable edit. Refused when it would change a locked test split.
 */
export function moveImagesToSplit(db: Db, imageIds: readonly number[], split: SplitName | null, actor = 'user'): { changed: number } {
  return db.transaction(() => {
    const rows = statement<[string], ImageSplit>(
      db,
      'SELECT id, class_id, split, split_pinned FROM images WHERE id IN (SELECT value FROM json_each(?))',
    ).all(JSON.stringify(imageIds));
    if (rows.length !== new Set(imageIds).size) currentLabels(db, imageIds); // names the missing id
    if (split !== null) {
      const crossing = rows.filter((row) => (row.split === 'test') !== (split === 'test')).length;
      refuseIfTestLocked(db, `moving ${plural(crossing, 'image')} ${split === 'test' ? 'into' : 'out of'} it would change it`, crossing);
    }
    const summary =
      split === null
        ? `Gave ${plural(rows.length, 'image')} back to the split ratios`
        : `Moved ${plural(rows.length, 'image')} to ${splitWords[split]}`;
    const editId = beginEdit(db, 'split', summary, actor);
    const record = statement(
      db,
      'INSERT INTO split_changes(edit_id, image_id, old_split, new_split, old_pinned, new_pinned) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const update = statement(db, 'UPDATE images SET split = ?, split_pinned = ? WHERE id = ?');
    const touched = new Set<number | null>();
    let changed = 0;
    for (const row of rows) {
      const next = split ?? row.split;
      const pinned = split === null ? null : 1;
      if (next === row.split && pinned === row.split_pinned) continue;
      record.run(editId, row.id, row.split, next, row.split_pinned ?? 0, pinned ?? 0);
      update.run(next, pinned, row.id);
      touched.add(row.class_id);
      changed++;
    }
    if (changed === 0) statement(db, 'DELETE FROM label_edits WHERE id = ?').run(editId);
    // Pinning takes images out of their class's quotas (and unpinning puts them back): the rest moves.
    rebalanceSplits(db, touched);
    return { changed };
  }).immediate();
}

function recordClassChange(db: Db, editId: number, classId: number, oldName: string | null, newName: string | null): void {
  statement(db, 'INSERT INTO class_changes(edit_id, class_id, old_name, new_name) VALUES (?, ?, ?, ?)').run(
    editId,
    classId,
    oldName,
    newName,
  );
}

export function addClass(db: Db, name: string, actor = 'user'): number {
  return db.transaction(() => {
    const editId = beginEdit(db, 'addClass', `Added class ${name}`, actor);
    setClassNameChecked(db, null, name);
    const id = insertClass(db, name);
    recordClassChange(db, editId, id, null, name);
    return id;
  }).immediate();
}

/** Throws the user-facing clash error before an insert would hit the unique index. */
function setClassNameChecked(db: Db, id: number | null, name: string): void {
  const clash = statement<[string], { id: number }>(db, 'SELECT id FROM classes WHERE name = ? AND deleted_at IS NULL').get(name);
  if (clash && clash.id !== id) {
    throw new StudioError('conflict', `A class named "${name}" already exists`, { field: 'name' });
  }
}

export function renameClass(db: Db, classId: number, name: string, actor = 'user'): void {
  db.transaction(() => {
    const row = requireLiveClass(db, classId);
    if (row.name === name) return;
    setClassNameChecked(db, classId, name);
    const editId = beginEdit(db, 'renameClass', `Renamed class ${row.name} to ${name}`, actor);
    setClassName(db, classId, name);
    recordClassChange(db, editId, classId, row.name, name);
  }).immediate();
}

function imagesOfClass(db: Db, classId: number): ImageLabel[] {
  return statement<[number], ImageLabel>(db, 'SELECT id, class_id, state FROM images WHERE class_id = ?').all(classId);
}

export function mergeClasses(db: Db, sourceIds: readonly number[], targetId: number, actor = 'user'): { moved: number } {
  return db.transaction(() => {
    const target = requireLiveClass(db, targetId, 'targetId');
    const sources = [...new Set(sourceIds)].filter((id) => id !== targetId).map((id) => requireLiveClass(db, id, 'sourceIds'));
    if (sources.length === 0) {
      throw new StudioError('invalid_argument', 'sourceIds: name at least one class other than the target', { field: 'sourceIds' });
    }
    const editId = beginEdit(db, 'mergeClasses', `Merged ${sources.map((s) => s.name).join(', ')} into ${target.name}`, actor);
    let moved = 0;
    const touched = new Set<number | null>([targetId]);
    for (const source of sources) {
      moved += applyLabelChanges(db, editId, imagesOfClass(db, source.id), (row) => ({ classId: targetId, state: row.state })).changed;
      setClassName(db, source.id, null);
      recordClassChange(db, editId, source.id, source.name, null);
      touched.add(source.id);
    }
    rebalanceSplits(db, touched);
    return { moved };
  }).immediate();
}

export function deleteClass(db: Db, classId: number, actor = 'user'): { unlabelled: number } {
  return db.transaction(() => {
    const row = requireLiveClass(db, classId);
    const editId = beginEdit(db, 'deleteClass', `Deleted class ${row.name}`, actor);
    const { changed } = applyLabelChanges(db, editId, imagesOfClass(db, classId), (image) => ({ classId: null, state: image.state }));
    setClassName(db, classId, null);
    recordClassChange(db, editId, classId, row.name, null);
    rebalanceSplits(db, [classId, null]);
    return { unlabelled: changed };
  }).immediate();
}

/** Writes one side (old or new) of an edit back: the core of undo and redo. */
function replay(db: Db, edit: EditRow, side: 'old' | 'new'): void {
  const classChanges = statement<[number], { class_id: number; old_name: string | null; new_name: string | null }>(
    db,
    'SELECT class_id, old_name, new_name FROM class_changes WHERE edit_id = ?',
  ).all(edit.id);
  // Classes first: a label may point at a class this replay brings back.
  for (const change of classChanges) {
    const name = side === 'old' ? change.old_name : change.new_name;
    if (name === null) {
      const inUse = statement<[number], { n: number }>(db, 'SELECT count(*) AS n FROM images WHERE class_id = ?').get(change.class_id);
      const labelledHere = statement<[number, number], { n: number }>(
        db,
        `SELECT count(*) AS n FROM label_changes WHERE edit_id = ? AND ${side === 'old' ? 'new_class_id' : 'old_class_id'} = ?`,
      ).get(edit.id, change.class_id);
      if ((inUse?.n ?? 0) > (labelledHere?.n ?? 0)) {
        throw new StudioError(
          'conflict',
          `Cannot ${side === 'old' ? 'undo' : 'redo'} "${edit.summary}": images were imported into class ` +
            `${change.old_name ?? change.new_name} since; relabel or delete them first`,
        );
      }
    } else {
      setClassNameChecked(db, change.class_id, name);
    }
  }
  for (const change of classChanges) setClassName(db, change.class_id, side === 'old' ? change.old_name : change.new_name);
  const labelChanges = statement<[number], { image_id: number; old_class_id: number | null; new_class_id: number | null; old_state: LabelState; new_state: LabelState }>(
    db,
    'SELECT image_id, old_class_id, new_class_id, old_state, new_state FROM label_changes WHERE edit_id = ?',
  ).all(edit.id);
  const update = statement(db, 'UPDATE images SET class_id = ?, state = ? WHERE id = ?');
  const touched = new Set<number | null>();
  for (const change of labelChanges) {
    if (side === 'old') update.run(change.old_class_id, change.old_state, change.image_id);
    else update.run(change.new_class_id, change.new_state, change.image_id);
    touched.add(change.old_class_id).add(change.new_class_id);
  }
  replaySplits(db, edit, side, touched);
  rebalanceSplits(db, touched);
}

/** The split half of a replay: puts each image back in the split (and pinning) of that side. */
function replaySplits(db: Db, edit: EditRow, side: 'old' | 'new', touched: Set<number | null>): void {
  const changes = statement<[number], { image_id: number; split: SplitName; pinned: 0 | 1; now: SplitName; class_id: number | null }>(
    db,
    `SELECT s.image_id, ${side === 'old' ? 's.old_split' : 's.new_split'} AS split, ${side === 'old' ? 's.old_pinned' : 's.new_pinned'} AS pinned,
            i.split AS now, i.class_id
     FROM split_changes s JOIN images i ON i.id = s.image_id WHERE s.edit_id = ?`,
  ).all(edit.id);
  if (changes.length === 0) return;
  const crossing = changes.filter((c) => (c.now === 'test') !== (c.split === 'test')).length;
  refuseIfTestLocked(db, `${side === 'old' ? 'undoing' : 'redoing'} "${edit.summary}" would move ${plural(crossing, 'image')} ${side === 'old' ? 'back ' : ''}across it`, crossing);
  const update = statement(db, 'UPDATE images SET split = ?, split_pinned = ? WHERE id = ?');
  for (const change of changes) {
    update.run(change.split, change.pinned === 1 ? 1 : null, change.image_id);
    touched.add(change.class_id);
  }
}

export function undoLabelEdit(db: Db): LabelEditSummary | null {
  return db.transaction(() => {
    const edit = statement<[], EditRow>(db, 'SELECT * FROM label_edits WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1').get();
    if (!edit) return null;
    replay(db, edit, 'old');
    const undoneAt = Date.now();
    statement(db, 'UPDATE label_edits SET undone_at = ? WHERE id = ?').run(undoneAt, edit.id);
    return toSummary({ ...edit, undone_at: undoneAt });
  }).immediate();
}

export function redoLabelEdit(db: Db): LabelEditSummary | null {
  return db.transaction(() => {
    const edit = statement<[], EditRow>(db, 'SELECT * FROM label_edits WHERE undone_at IS NOT NULL ORDER BY id ASC LIMIT 1').get();
    if (!edit) return null;
    replay(db, edit, 'new');
    statement(db, 'UPDATE label_edits SET undone_at = NULL WHERE id = ?').run(edit.id);
    return toSummary({ ...edit, undone_at: null });
  }).immediate();
}

export function labelHistory(db: Db, limit = 50): LabelHistory {
  const edits = statement<[number], EditRow>(db, 'SELECT * FROM label_edits ORDER BY id DESC LIMIT ?').all(limit).map(toSummary);
  const canUndo = statement<[], { n: number }>(db, 'SELECT count(*) AS n FROM label_edits WHERE undone_at IS NULL').get()!.n > 0;
  const canRedo = statement<[], { n: number }>(db, 'SELECT count(*) AS n FROM label_edits WHERE undone_at IS NOT NULL').get()!.n > 0;
  return { edits, canUndo, canRedo };
}

/**
 * Gives each image its own class in one edit (confirmed model suggestions, accepted label issues): one
 * undo puts every image back. `summary` says what the user did.
 */
export function assignLabels(db: Db, assignments: readonly { imageId: number; classId: number }[], summary: string, actor = 'user'): { changed: number } {
  return db.transaction(() => {
    const target = new Map(assignments.map((a) => [a.imageId, a.classId]));
    for (const classId of new Set(target.values())) requireLiveClass(db, classId);
    const rows = currentLabels(db, [...target.keys()]);
    const editId = beginEdit(db, 'relabel', summary, actor);
    const { changed, touched } = applyLabelChanges(db, editId, rows, (row) => ({ classId: target.get(row.id)!, state: row.state }));
    if (changed === 0) statement(db, 'DELETE FROM label_edits WHERE id = ?').run(editId);
    rebalanceSplits(db, touched);
    return { changed };
  }).immediate();
}
