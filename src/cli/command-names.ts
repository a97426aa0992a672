import type { CommandModules } from './program.js';

/**
 * The top-level commands, in the order of the help. Kept apart from the table of their modules
 * so that the entry can route arguments, and `completion` can describe every command, without
 * loading any command's code.
 */
export const commandNames = [
  'init',
  'validate',
  'list',
  'ready',
  'draft',
  'get',
  'set',
  'scopes',
  'schema',
  'connect',
  'connections',
  'disconnect',
  'secret',
  'token',
  'request',
  'check',
  'completion',
] as const satisfies readonly (keyof CommandModules)[];

export type CommandName = (typeof commandNames)[number];
