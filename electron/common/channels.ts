/** Channel names of the Electron transport. Every channel carries the prefix; preload and main refuse others. */
export const CHANNEL_PREFIX = 'studio:';
export const CALL_CHANNEL = `${CHANNEL_PREFIX}call`;
export const EVENT_CHANNEL = `${CHANNEL_PREFIX}event`;
/** Electron only: the native folder picker (no contract method, as browser mode has no equivalent). */
export const PICK_FOLDER_CHANNEL = `${CHANNEL_PREFIX}pick-folder`;
