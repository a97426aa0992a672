import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

// The generated validator is committed, so that the CLI and the tests run from a clean checkout
// without Ajv's compiler. These tests fail when it no longer matches schemas/.
//
// The vitest global setup runs the build, and the build rewrites the file when it is stale, so a
// comparison with the working tree alone would always pass after setup. The first test therefore
// checks the commit: it regenerates the code from the schema as committed in HEAD and compares
// it with the generated file as committed in HEAD. Work in progress, such as a schema edited but
// not yet committed, does not fail it; a commit that changes the schema or Ajv without the
// regenerated file does.

const root = join(import.meta.dirname, '..', '..');
const schemaFile = 'schemas/connector.schema.json';
const generatedFile = 'src/definition/generated/connector-validator.js';

interface Generator {
  generateValidatorSource(schema?: unknown): string;
}
const generator = (await import(pathToFileURL(join(root, 'scripts', 'generate-validator.mjs')).href)) as Generator;

/** The file as committed in HEAD; undefined when git, the repository or the committed file is missing. */
function committed(path: string): string | undefined {
  try {
    return execFileSync('git', ['show', `HEAD:${path}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

/** The first line where the two texts differ, quoted from both, or undefined when they are equal. */
function firstDifference(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  const actualLines = actual.split('\n');
  const expectedLines = expected.split('\n');
  const index = actualLines.findIndex((line, at) => line !== expectedLines[at]);
  const line = index === -1 ? actualLines.length : index;
  const quote = (text: string | undefined) => (text === undefined ? '(end of file)' : JSON.stringify(text.slice(0, 160)));
  return `line ${line + 1}: the file has ${quote(actualLines[line])}, the schema gives ${quote(expectedLines[line])}`;
}

const fix = `run \`node scripts/generate-validator.mjs\` (or \`npm run build\`) and commit ${generatedFile} with the schema`;
const headSchema = committed(schemaFile);
const headGenerated = committed(generatedFile);

describe('generated validator', () => {
  it.skipIf(headSchema === undefined || headGenerated === undefined)('matches the schema in the last commit', () => {
    const expected = generator.generateValidatorSource(JSON.parse(headSchema!));

    expect(firstDifference(headGenerated!, expected), `${generatedFile} in HEAD is out of date; ${fix}`).toBeUndefined();
  });

  // Meaningful when the build did not run first (CONNECTOR_TEST_SKIP_BUILD=1), or outside git.
  it('matches the schema in the working tree', () => {
    const actual = readFileSync(join(root, generatedFile), 'utf8');

    expect(firstDifference(actual, generator.generateValidatorSource()), `${generatedFile} is out of date; ${fix}`).toBeUndefined();
  });

  it('imports only the Ajv runtime, not its compiler', () => {
    const source = readFileSync(join(root, generatedFile), 'utf8');
    const modules = [...source.matchAll(/(?:require\(|from\s+|import\()\s*["']([^"']+)["']/g)].map((match) => match[1]);

    expect(modules.length).toBeGreaterThan(0);
    for (const name of modules) expect(name, `the validator imports ${name}`).toMatch(/^ajv\/dist\/runtime\//);
  });
});
