/** The grid's filters: a count always equals the rows its pages return, and the prediction filter. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countImages, imageCursors, listImages, type ImageFilter } from './images.js';
import { insertSyntheticImages, tempWorkspace, type TempWorkspace } from './testing/fixtures.js';

let ws: TempWorkspace;
let catId: number;

beforeAll(() => {
  ws = tempWorkspace();
  insertSyntheticImages(ws.db, ['cat', 'dog', null], 40);
  catId = (ws.db.prepare("SELECT id FROM classes WHERE name = 'cat'").get() as { id: number }).id;
  ws.db.exec(`UPDATE images SET split = CASE id % 4 WHEN 0 THEN 'val' ELSE 'train' END,
    state = CASE WHEN id % 9 = 0 THEN 'unsure' ELSE 'ok' END`);
  // Run 1 predicted class 1 for every third image of the val split, class 0 for the rest of val.
  ws.db.exec(`INSERT INTO runs(id, name, created_at, status, config, class_names) VALUES (1, 'r', 0, 'completed', '{}', '["cat","dog"]');
    INSERT INTO predictions(run_id, split, image_id, label, predicted, confidence, loss, probabilities)
      SELECT 1, 'val', id, 0, CASE WHEN id % 3 = 0 THEN 1 ELSE 0 END, 0.5, 1.0, x'00' FROM images WHERE split = 'val';`);
});
afterAll(() => ws.dispose());

function allPages(filter: ImageFilter): number[] {
  const ids: number[] = [];
  let after: number | undefined;
  do {
    const page = listImages(ws.db, { ...filter, limit: 7, ...(after !== undefined ? { after } : {}) });
    ids.push(...page.images.map((image) => image.id));
    after = page.nextCursor ?? undefined;
  } while (after !== undefined);
  return ids;
}

describe('grid filters', () => {
  it.each<{ name: string; filter: () => ImageFilter; expected: number }>([
    { name: 'everything', filter: () => ({}), expected: 120 },
    { name: 'one class', filter: () => ({ classId: catId }), expected: 40 },
    { name: 'unlabelled', filter: () => ({ classId: null }), expected: 40 },
    { name: 'a split', filter: () => ({ split: 'val' }), expected: 30 },
    { name: 'a file name', filter: () => ({ search: 'dog_0001' }), expected: 10 },
    { name: 'a prediction', filter: () => ({ prediction: { runId: 1, predicted: 1 } }), expected: 10 },
    { name: 'a prediction in a class', filter: () => ({ prediction: { runId: 1, predicted: 0 }, classId: catId }), expected: 7 },
    { name: 'a run without predictions', filter: () => ({ prediction: { runId: 9, predicted: 0 } }), expected: 0 },
  ])('counts $name as many images as its pages hold', ({ filter, expected }) => {
    const ids = allPages(filter());
    expect(countImages(ws.db, filter())).toBe(expected);
    expect(ids).toHaveLength(expected);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each<{ name: string; filter: () => ImageFilter }>([
    { name: 'everything', filter: () => ({}) },
    { name: 'one class', filter: () => ({ classId: catId }) },
    { name: 'a prediction', filter: () => ({ prediction: { runId: 1, predicted: 0 } }) },
  ])('gives the cursors where the pages of $name start, from any page on', ({ filter }) => {
    const ids = allPages(filter());
    const every = 7;
    const boundaries = ids.filter((_, i) => (i + 1) % every === 0);
    expect(imageCursors(ws.db, filter(), every, 1000)).toEqual(boundaries);
    // From the second cursor on, two pages: the third and fourth boundaries.
    expect(imageCursors(ws.db, filter(), every, 2, boundaries[1])).toEqual(boundaries.slice(2, 4));
    for (const [k, cursor] of boundaries.entries()) {
      expect(listImages(ws.db, { ...filter(), after: cursor, limit: every }).images[0]?.id).toBe(ids[(k + 1) * every]);
    }
  });

  it('returns only the images the run predicted as the class, with their current labels', () => {
    const ids = allPages({ prediction: { runId: 1, predicted: 1 } });
    expect(ids.every((id) => id % 4 === 0 && id % 3 === 0)).toBe(true);
    const page = listImages(ws.db, { prediction: { runId: 1, predicted: 1 }, limit: 2 });
    expect(page.images[0]).toMatchObject({ split: 'val', className: expect.any(String) });
  });
});
