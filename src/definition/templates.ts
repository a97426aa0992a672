import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'yaml';

import { UsageError } from '../cli/errors.js';
import { packageRoot } from '../package-root.js';
import type { AuthType } from './types.js';

/** One starter connector file shipped in `templates/`. */
export interface TemplateInfo {
  /** File name without `.yaml`, as `connector init --template NAME` takes it. */
  name: string;
  /** The text of the file's `# template:` comment line. */
  description: string;
  authType: AuthType;
  /** Absolute path of the template file. */
  file: string;
}

const TEMPLATE_EXTENSION = '.yaml';
const DESCRIPTION_LINE = /^#\s*template:\s*(.+?)\s*$/m;
const AUTH_TYPES: readonly AuthType[] = ['basic', 'apiKey', 'oauth1', 'oauth2'];

function templatesFolder(): string {
  return join(packageRoot(), 'templates');
}

async function templateNames(): Promise<string[]> {
  const entries = await readdir(templatesFolder(), { withFileTypes: true });

  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(TEMPLATE_EXTENSION))
    .map((entry) => entry.name.slice(0, -TEMPLATE_EXTENSION.length))
    .sort();
}

/**
 * Extracts the `# template:` line and `auth.type` of one template. The templates ship with the
 * package, so a malformed one is a packaging bug and raises a plain Error.
 */
function describeTemplate(name: string, file: string, text: string): TemplateInfo {
  const description = DESCRIPTION_LINE.exec(text)?.[1];
  if (description === undefined) throw new Error(`template ${file} has no "# template:" comment line`);

  const authType = (parse(text) as { auth?: { type?: unknown } } | null)?.auth?.type;
  if (!AUTH_TYPES.includes(authType as AuthType)) {
    throw new Error(`template ${file} has auth.type ${JSON.stringify(authType)}, expected one of ${AUTH_TYPES.join(', ')}`);
  }

  return { name, description, authType: authType as AuthType, file };
}

/** Lists the shipped templates, sorted by name. */
export async function listTemplates(): Promise<TemplateInfo[]> {
  const names = await templateNames();

  return Promise.all(
    names.map(async (name) => {
      const file = join(templatesFolder(), name + TEMPLATE_EXTENSION);
      return describeTemplate(name, file, await readFile(file, 'utf8'));
    }),
  );
}

/**
 * Reads the raw text of a template, comments included, so `connector init` can write it
 * unchanged. Throws UsageError for a name that is not a shipped template.
 */
export async function readTemplate(name: string): Promise<string> {
  const names = await templateNames();

  // Checking against the folder listing also keeps names such as "../x" out of the path.
  if (!names.includes(name)) {
    throw new UsageError(`Unknown template "${name}". Available templates: ${names.join(', ')}.`, {
      hint: 'Run `connector init --list-templates` to see each template with its description.',
    });
  }

  return readFile(join(templatesFolder(), name + TEMPLATE_EXTENSION), 'utf8');
}
