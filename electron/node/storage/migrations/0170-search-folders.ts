import type { Migration } from './types.js';

/**
 * The grid's search matches folders as well as file names: the trigram index holds the image's source
 * path instead of its file name (the path ends in the name), so "roses" finds flowers/roses/*.jpg and
 * "2019" a folder of that year. The index is rebuilt from the images table here (a data-changing step:
 * every existing image becomes searchable by folder).
 */
export const searchFolders: Migration = {
  version: 170,
  name: 'search-folders',
  up(db) {
    db.exec(`
      DROP TRIGGER images_search_delete;
      DROP TRIGGER images_search_update;
      DROP TABLE images_search;

      CREATE VIRTUAL TABLE images_search USING fts5(
        source_path, content='images', content_rowid='id', tokenize='trigram'
      );
      INSERT INTO images_search(images_search) VALUES ('rebuild');

      -- As in 0040: no insert trigger, insertImage (images.ts) adds the row itself.
      CREATE TRIGGER images_search_delete AFTER DELETE ON images BEGIN
        INSERT INTO images_search(images_search, rowid, source_path) VALUES ('delete', old.id, old.source_path);
      END;
      CREATE TRIGGER images_search_update AFTER UPDATE OF source_path ON images BEGIN
        INSERT INTO images_search(images_search, rowid, source_path) VALUES ('delete', old.id, old.source_path);
        INSERT INTO images_search(rowid, source_path) VALUES (new.id, new.source_path);
      END;
    `);
  },
};
