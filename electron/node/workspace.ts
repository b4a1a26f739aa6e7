/** Where studio projects live when the user does not say. */
import os from 'node:os';
import path from 'node:path';

/** The per-user data folder: XDG on Linux, Application Support on macOS, AppData on Windows. */
export function userDataDir(): string {
  if (process.env.ATTENTION_STUDIO_HOME) return path.resolve(process.env.ATTENTION_STUDIO_HOME);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Attention Studio');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Attention Studio');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'attention-studio');
}

/** The workspace opened when none is named: `<user data>/workspaces/default`. */
export function defaultWorkspace(): string {
  return path.join(userDataDir(), 'workspaces', 'default');
}
