import { confirm, input, password, select } from '@inquirer/prompts';

import type { Prompter } from './deps.js';

/** The terminal prompter over @inquirer/prompts; prompts draw on stderr so stdout stays for results. */
export function createPrompter(): Prompter {
  const context = { output: process.stderr };
  return {
    input: (options) => input({ message: options.message, default: options.default, validate: options.validate }, context),
    password: (options) => password({ message: options.message, mask: '*', validate: options.validate }, context),
    select: (options) => select({ message: options.message, choices: options.choices, default: options.default }, context),
    confirm: (options) => confirm({ message: options.message, default: options.default }, context),
  };
}
