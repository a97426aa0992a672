import { posix, win32 } from 'node:path';

import { UsageError } from '../cli/errors.js';

/** The parts of the process that decide where the tool keeps its files, passed in so tests can vary them. */
export interface PathContext {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
}

const appName = 'connector';

/** The environment variable that overrides both the config and the data folder. */
export const configDirVariable = 'CONNECTOR_CONFIG_DIR';

/**
 * Returns the folder for the connection metadata: `$CONNECTOR_CONFIG_DIR` when set, else
 * `$XDG_CONFIG_HOME/connector` or `~/.config/connector` on Linux and other Unix systems,
 * `~/Library/Application Support/connector` on macOS and `%APPDATA%\connector` on Windows.
 */
export function configDir(context: PathContext): string {
  const override = configDirOverride(context);
  if (override !== undefined) return override;

  const { env, platform, homedir } = context;
  const path = pathFor(platform);

  if (platform === 'darwin') return path.join(homedir, 'Library', 'Application Support', appName);

  if (platform === 'win32') {
    const appData = nonEmpty(env.APPDATA) ?? path.join(homedir, 'AppData', 'Roaming');
    return path.join(appData, appName);
  }

  return path.join(xdgBase(env.XDG_CONFIG_HOME) ?? path.join(homedir, '.config'), appName);
}

/**
 * Returns the folder for the opt-in plain secrets file: `$CONNECTOR_CONFIG_DIR` when set, else
 * `$XDG_DATA_HOME/connector` or `~/.local/share/connector` on Linux and other Unix systems, and
 * the config folder on macOS and Windows.
 */
export function dataDir(context: PathContext): string {
  const override = configDirOverride(context);
  if (override !== undefined) return override;

  const { env, platform, homedir } = context;
  if (platform === 'darwin' || platform === 'win32') return configDir(context);

  const path = pathFor(platform);
  return path.join(xdgBase(env.XDG_DATA_HOME) ?? path.join(homedir, '.local', 'share'), appName);
}

function configDirOverride({ env, platform }: PathContext): string | undefined {
  const value = nonEmpty(env[configDirVariable]);
  if (value === undefined) return undefined;

  // A relative folder would move with the working directory, so connections would seem to vanish.
  if (!pathFor(platform).isAbsolute(value)) {
    throw new UsageError(`${configDirVariable} must be an absolute path, got "${value}".`, {
      hint: `Set ${configDirVariable} to an absolute folder, or unset it to use the default folder.`,
    });
  }
  return value;
}

/** The XDG Base Directory specification requires ignoring an empty or relative value. */
function xdgBase(value: string | undefined): string | undefined {
  const base = nonEmpty(value);
  return base !== undefined && posix.isAbsolute(base) ? base : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function pathFor(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}
