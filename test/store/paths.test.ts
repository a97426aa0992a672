import { describe, expect, test } from 'vitest';

import { UsageError } from '../../src/cli/errors.js';
import { configDir, dataDir } from '../../src/store/paths.js';
import type { PathContext } from '../../src/store/paths.js';

const linux = (env: NodeJS.ProcessEnv = {}): PathContext => ({ env, platform: 'linux', homedir: '/home/ada' });
const mac = (env: NodeJS.ProcessEnv = {}): PathContext => ({ env, platform: 'darwin', homedir: '/Users/ada' });
const windows = (env: NodeJS.ProcessEnv = {}): PathContext => ({ env, platform: 'win32', homedir: 'C:\\Users\\ada' });

describe('configDir', () => {
  const cases = [
    { name: 'Linux default', context: linux(), expected: '/home/ada/.config/connector' },
    { name: 'Linux XDG_CONFIG_HOME', context: linux({ XDG_CONFIG_HOME: '/xdg/config' }), expected: '/xdg/config/connector' },
    { name: 'Linux empty XDG_CONFIG_HOME', context: linux({ XDG_CONFIG_HOME: '' }), expected: '/home/ada/.config/connector' },
    { name: 'Linux relative XDG_CONFIG_HOME', context: linux({ XDG_CONFIG_HOME: 'config' }), expected: '/home/ada/.config/connector' },
    { name: 'macOS', context: mac(), expected: '/Users/ada/Library/Application Support/connector' },
    {
      name: 'Windows APPDATA',
      context: windows({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }),
      expected: 'C:\\Users\\ada\\AppData\\Roaming\\connector',
    },
    { name: 'Windows without APPDATA', context: windows(), expected: 'C:\\Users\\ada\\AppData\\Roaming\\connector' },
    { name: 'override', context: linux({ CONNECTOR_CONFIG_DIR: '/tmp/test-config' }), expected: '/tmp/test-config' },
    { name: 'override on Windows', context: windows({ CONNECTOR_CONFIG_DIR: 'D:\\connector' }), expected: 'D:\\connector' },
  ];

  test.each(cases)('$name', ({ context, expected }) => {
    expect(configDir(context)).toBe(expected);
  });

  test('relative override is rejected', () => {
    expect(() => configDir(linux({ CONNECTOR_CONFIG_DIR: 'relative/folder' }))).toThrow(UsageError);
    expect(() => configDir(linux({ CONNECTOR_CONFIG_DIR: 'relative/folder' }))).toThrow(
      'CONNECTOR_CONFIG_DIR must be an absolute path, got "relative/folder".',
    );
  });
});

describe('dataDir', () => {
  const cases = [
    { name: 'Linux default', context: linux(), expected: '/home/ada/.local/share/connector' },
    { name: 'Linux XDG_DATA_HOME', context: linux({ XDG_DATA_HOME: '/xdg/data' }), expected: '/xdg/data/connector' },
    { name: 'FreeBSD follows XDG', context: { ...linux(), platform: 'freebsd' as const }, expected: '/home/ada/.local/share/connector' },
    { name: 'macOS uses the config folder', context: mac(), expected: '/Users/ada/Library/Application Support/connector' },
    {
      name: 'Windows uses the config folder',
      context: windows({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }),
      expected: 'C:\\Users\\ada\\AppData\\Roaming\\connector',
    },
    {
      name: 'override wins over XDG_DATA_HOME',
      context: linux({ CONNECTOR_CONFIG_DIR: '/tmp/test-config', XDG_DATA_HOME: '/xdg/data' }),
      expected: '/tmp/test-config',
    },
  ];

  test.each(cases)('$name', ({ context, expected }) => {
    expect(dataDir(context)).toBe(expected);
  });
});
