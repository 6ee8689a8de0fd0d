import { chmod, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';

/**
 * Where forcedown keeps run journals and locks: `--state-dir`, else `FORCEDOWN_STATE_DIR`, else
 * `$XDG_STATE_HOME/forcedown`, else `~/.local/state/forcedown`.
 */
export function resolveStateDir(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  if (explicit) return resolve(cwd, explicit);
  if (env.FORCEDOWN_STATE_DIR) return resolve(cwd, env.FORCEDOWN_STATE_DIR);
  const xdg = env.XDG_STATE_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'forcedown');
  return join(env.HOME || homedir(), '.local', 'state', 'forcedown');
}

/** Creates `dir` (and parents) with mode 0700, tightening it if it already exists. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    if (!info.isDirectory())
      throw invalidInput(
        'STATE_DIR_INVALID',
        `${dir} exists and is not a directory`,
        'point --state-dir (or FORCEDOWN_STATE_DIR) at a directory',
      );
    if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  } catch (error) {
    if ((error as { code?: string }).code === 'EACCES' || (error as { code?: string }).code === 'EROFS') {
      throw invalidInput(
        'STATE_DIR_UNWRITABLE',
        `cannot create the state directory ${dir}: ${(error as Error).message}`,
        'choose a writable directory with --state-dir or FORCEDOWN_STATE_DIR',
      );
    }
    throw error;
  }
}

/** The state directory's layout. */
export function stateLayout(stateDir: string): { readonly runs: string; readonly locks: string } {
  return { runs: join(stateDir, 'runs'), locks: join(stateDir, 'locks') };
}
